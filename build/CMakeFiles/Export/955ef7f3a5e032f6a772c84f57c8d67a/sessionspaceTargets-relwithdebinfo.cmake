#----------------------------------------------------------------
# Generated CMake target import file for configuration "RelWithDebInfo".
#----------------------------------------------------------------

# Commands may need to know the format version.
set(CMAKE_IMPORT_FILE_VERSION 1)

# Import target "sessionspace::sessionspace" for configuration "RelWithDebInfo"
set_property(TARGET sessionspace::sessionspace APPEND PROPERTY IMPORTED_CONFIGURATIONS RELWITHDEBINFO)
set_target_properties(sessionspace::sessionspace PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELWITHDEBINFO "C"
  IMPORTED_LOCATION_RELWITHDEBINFO "${_IMPORT_PREFIX}/lib/libsessionspace.a"
  )

list(APPEND _cmake_import_check_targets sessionspace::sessionspace )
list(APPEND _cmake_import_check_files_for_sessionspace::sessionspace "${_IMPORT_PREFIX}/lib/libsessionspace.a" )

# Commands beyond this point should not need to know the version.
set(CMAKE_IMPORT_FILE_VERSION)
