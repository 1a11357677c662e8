file(REMOVE_RECURSE
  "CMakeFiles/ss_testsupport.dir/imagebuilder.c.o"
  "CMakeFiles/ss_testsupport.dir/imagebuilder.c.o.d"
  "CMakeFiles/ss_testsupport.dir/testutil.c.o"
  "CMakeFiles/ss_testsupport.dir/testutil.c.o.d"
  "libss_testsupport.a"
  "libss_testsupport.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ss_testsupport.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
