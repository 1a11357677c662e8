# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test(test_backend_raw "/work/main/build/tests/test_backend_raw")
set_tests_properties(test_backend_raw PROPERTIES  ENVIRONMENT "CK_DEFAULT_TIMEOUT=120;TEST_TMPDIR=/work/main/build/tests" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;11;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_mmu_la57 "/work/main/build/tests/test_mmu_la57")
set_tests_properties(test_mmu_la57 PROPERTIES  ENVIRONMENT "CK_DEFAULT_TIMEOUT=120;TEST_TMPDIR=/work/main/build/tests" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;11;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_mmu_pae "/work/main/build/tests/test_mmu_pae")
set_tests_properties(test_mmu_pae PROPERTIES  ENVIRONMENT "CK_DEFAULT_TIMEOUT=120;TEST_TMPDIR=/work/main/build/tests" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;11;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_mmu_x64 "/work/main/build/tests/test_mmu_x64")
set_tests_properties(test_mmu_x64 PROPERTIES  ENVIRONMENT "CK_DEFAULT_TIMEOUT=120;TEST_TMPDIR=/work/main/build/tests" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;11;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(test_mmu_x86 "/work/main/build/tests/test_mmu_x86")
set_tests_properties(test_mmu_x86 PROPERTIES  ENVIRONMENT "CK_DEFAULT_TIMEOUT=120;TEST_TMPDIR=/work/main/build/tests" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;11;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(py_test_cli "/usr/bin/python3" "-m" "unittest" "-v" "test_cli")
set_tests_properties(py_test_cli PROPERTIES  ENVIRONMENT "SS_CLI=/work/main/build/examples/sessionspace;SS_MKIMAGE=/work/main/build/tests/support/ss-mkimage;SS_TMPDIR=/work/main/build/tests" WORKING_DIRECTORY "/work/main/tests/py" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;23;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test(install_consumers "/work/main/tests/install/check_install.sh" "/work/main/build" "/work/main" "/work/main/build/tests/support/ss-mkimage")
set_tests_properties(install_consumers PROPERTIES  LABELS "install" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;32;add_test;/work/main/tests/CMakeLists.txt;0;")
