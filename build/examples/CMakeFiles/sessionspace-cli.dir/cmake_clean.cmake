file(REMOVE_RECURSE
  "CMakeFiles/sessionspace-cli.dir/sessionspace.c.o"
  "CMakeFiles/sessionspace-cli.dir/sessionspace.c.o.d"
  "sessionspace"
  "sessionspace.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sessionspace-cli.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
