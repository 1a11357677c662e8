file(REMOVE_RECURSE
  "CMakeFiles/ss-mkimage.dir/mkimage.c.o"
  "CMakeFiles/ss-mkimage.dir/mkimage.c.o.d"
  "ss-mkimage"
  "ss-mkimage.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/ss-mkimage.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
