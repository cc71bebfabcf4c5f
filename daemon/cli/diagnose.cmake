# `sparkd diagnose`: a library the sparkd binary links, and its test. Included from
# daemon/CMakeLists.txt; paths are relative to daemon/.
add_library(sparkd_diagnose STATIC cli/diagnose_command.cc)
target_link_libraries(sparkd_diagnose PUBLIC sparkd_core sparkd_terminal)

add_executable(diagnose_command_test cli/diagnose_command_test.cc)
target_link_libraries(diagnose_command_test PRIVATE sparkd_diagnose GTest::gtest_main)
target_compile_definitions(diagnose_command_test PRIVATE
  SPARKD_SAMPLES_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures/diagnose/samples")
gtest_discover_tests(diagnose_command_test DISCOVERY_TIMEOUT 60)
