libsessionspace/CMakeFiles/sessionspace.dir/src/backend/kdump.c.o: \
 /work/main/libsessionspace/src/backend/kdump.c \
 /usr/include/stdc-predef.h \
 /work/main/libsessionspace/src/backend/../core/internal.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stdarg.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stdbool.h /usr/include/string.h \
 /usr/include/x86_64-linux-gnu/bits/libc-header-start.h \
 /usr/include/features.h /usr/include/features-time64.h \
 /usr/include/x86_64-linux-gnu/bits/wordsize.h \
 /usr/include/x86_64-linux-gnu/bits/timesize.h \
 /usr/include/x86_64-linux-gnu/sys/cdefs.h \
 /usr/include/x86_64-linux-gnu/bits/long-double.h \
 /usr/include/x86_64-linux-gnu/gnu/stubs.h \
 /usr/include/x86_64-linux-gnu/gnu/stubs-64.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h \
 /work/main/libsessionspace/include/sessionspace.h \
 /work/main/libsessionspace/include/sessionspace/common.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stdint.h /usr/include/stdint.h \
 /usr/include/x86_64-linux-gnu/bits/types.h \
 /usr/include/x86_64-linux-gnu/bits/typesizes.h \
 /usr/include/x86_64-linux-gnu/bits/time64.h \
 /usr/include/x86_64-linux-gnu/bits/wchar.h \
 /usr/include/x86_64-linux-gnu/bits/stdint-intn.h \
 /usr/include/x86_64-linux-gnu/bits/stdint-uintn.h \
 /work/main/libsessionspace/include/sessionspace/source.h \
 /work/main/libsessionspace/include/sessionspace/common.h \
 /work/main/libsessionspace/include/sessionspace/space.h \
 /work/main/libsessionspace/include/sessionspace/source.h \
 /work/main/libsessionspace/include/sessionspace/sys/backend.h \
 /work/main/libsessionspace/include/sessionspace/sys/../common.h \
 /work/main/libsessionspace/include/sessionspace/sys/../source.h
