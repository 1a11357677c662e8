
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/libsessionspace/src/backend/crashdump.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/crashdump.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/crashdump.c.o.d"
  "/work/main/libsessionspace/src/backend/elf.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/elf.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/elf.c.o.d"
  "/work/main/libsessionspace/src/backend/file.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/file.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/file.c.o.d"
  "/work/main/libsessionspace/src/backend/kdump.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/kdump.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/kdump.c.o.d"
  "/work/main/libsessionspace/src/backend/lime.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/lime.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/lime.c.o.d"
  "/work/main/libsessionspace/src/backend/raw.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/raw.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/backend/raw.c.o.d"
  "/work/main/libsessionspace/src/cache/tcache.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/cache/tcache.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/cache/tcache.c.o.d"
  "/work/main/libsessionspace/src/core/parse.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/core/parse.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/core/parse.c.o.d"
  "/work/main/libsessionspace/src/core/source.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/core/source.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/core/source.c.o.d"
  "/work/main/libsessionspace/src/core/space.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/core/space.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/core/space.c.o.d"
  "/work/main/libsessionspace/src/core/status.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/core/status.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/core/status.c.o.d"
  "/work/main/libsessionspace/src/mmu/walk.c" "libsessionspace/CMakeFiles/sessionspace.dir/src/mmu/walk.c.o" "gcc" "libsessionspace/CMakeFiles/sessionspace.dir/src/mmu/walk.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
