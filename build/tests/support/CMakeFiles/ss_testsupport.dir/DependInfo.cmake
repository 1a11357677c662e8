
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/tests/support/imagebuilder.c" "tests/support/CMakeFiles/ss_testsupport.dir/imagebuilder.c.o" "gcc" "tests/support/CMakeFiles/ss_testsupport.dir/imagebuilder.c.o.d"
  "/work/main/tests/support/testutil.c" "tests/support/CMakeFiles/ss_testsupport.dir/testutil.c.o" "gcc" "tests/support/CMakeFiles/ss_testsupport.dir/testutil.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/libsessionspace/CMakeFiles/sessionspace.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
