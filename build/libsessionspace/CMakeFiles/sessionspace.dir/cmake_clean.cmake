file(REMOVE_RECURSE
  "CMakeFiles/sessionspace.dir/src/backend/crashdump.c.o"
  "CMakeFiles/sessionspace.dir/src/backend/crashdump.c.o.d"
  "CMakeFiles/sessionspace.dir/src/backend/elf.c.o"
  "CMakeFiles/sessionspace.dir/src/backend/elf.c.o.d"
  "CMakeFiles/sessionspace.dir/src/backend/file.c.o"
  "CMakeFiles/sessionspace.dir/src/backend/file.c.o.d"
  "CMakeFiles/sessionspace.dir/src/backend/kdump.c.o"
  "CMakeFiles/sessionspace.dir/src/backend/kdump.c.o.d"
  "CMakeFiles/sessionspace.dir/src/backend/lime.c.o"
  "CMakeFiles/sessionspace.dir/src/backend/lime.c.o.d"
  "CMakeFiles/sessionspace.dir/src/backend/raw.c.o"
  "CMakeFiles/sessionspace.dir/src/backend/raw.c.o.d"
  "CMakeFiles/sessionspace.dir/src/cache/tcache.c.o"
  "CMakeFiles/sessionspace.dir/src/cache/tcache.c.o.d"
  "CMakeFiles/sessionspace.dir/src/core/parse.c.o"
  "CMakeFiles/sessionspace.dir/src/core/parse.c.o.d"
  "CMakeFiles/sessionspace.dir/src/core/source.c.o"
  "CMakeFiles/sessionspace.dir/src/core/source.c.o.d"
  "CMakeFiles/sessionspace.dir/src/core/space.c.o"
  "CMakeFiles/sessionspace.dir/src/core/space.c.o.d"
  "CMakeFiles/sessionspace.dir/src/core/status.c.o"
  "CMakeFiles/sessionspace.dir/src/core/status.c.o.d"
  "CMakeFiles/sessionspace.dir/src/mmu/walk.c.o"
  "CMakeFiles/sessionspace.dir/src/mmu/walk.c.o.d"
  "libsessionspace.a"
  "libsessionspace.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sessionspace.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
