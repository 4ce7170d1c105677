# Test-discovery script for doctest_discover_tests() (tests/CMakeLists.txt points
# doctest.cmake's _DOCTEST_DISCOVER_TESTS_SCRIPT here). Same inputs and output as
# doctest's own doctestAddTests.cmake, which Debian 12 ships (doctest 2.4.9), but
# that one mangles test names containing ';' (they are split into two bogus
# tests that run nothing) and emits a malformed set_tests_properties(). Here:
#   * names may contain ';', ',', '\' and spaces;
#   * the --test-case filter is escaped the way doctest parses it (',' and '\');
#   * duplicate names (possible across files) become one ctest test.
# Inputs (-D): TEST_EXECUTABLE TEST_EXECUTOR TEST_WORKING_DIR TEST_SPEC
#   TEST_EXTRA_ARGS TEST_PROPERTIES TEST_PREFIX TEST_SUFFIX CTEST_FILE
# (TEST_LIST, TEST_ADD_LABELS and TEST_JUNIT_OUTPUT_DIR are not supported.)

cmake_minimum_required(VERSION 3.25)

if(NOT EXISTS "${TEST_EXECUTABLE}")
    message(FATAL_ERROR "Test executable '${TEST_EXECUTABLE}' does not exist")
endif()

set(spec_args "")
if(NOT "${TEST_SPEC}" STREQUAL "")
    set(spec_args "--test-case=${TEST_SPEC}")
endif()

execute_process(
    COMMAND ${TEST_EXECUTOR} "${TEST_EXECUTABLE}" ${spec_args} --list-test-cases
    OUTPUT_VARIABLE output
    ERROR_VARIABLE error_output
    RESULT_VARIABLE result
    WORKING_DIRECTORY "${TEST_WORKING_DIR}")
if(NOT result EQUAL 0)
    message(FATAL_ERROR "Listing the tests of '${TEST_EXECUTABLE}' failed (${result}):\n${output}\n${error_output}")
endif()

# Split into lines without letting ';' inside names act as a list separator.
string(ASCII 31 unit_separator)
string(REPLACE ";" "${unit_separator}" output "${output}")
string(REPLACE "\n" ";" lines "${output}")

# Every argument is written as a bracket argument: no list splitting, no escapes.
function(bracket out value)
    set(${out} "[==[${value}]==]" PARENT_SCOPE)
endfunction()

set(script "")
set(names "")
foreach(line IN LISTS lines)
    if(line STREQUAL "" OR line MATCHES "^=+$" OR line MATCHES "^\\[doctest\\] ")
        continue()
    endif()
    string(REPLACE "${unit_separator}" ";" case_name "${line}")
    set(test_name "${TEST_PREFIX}${case_name}${TEST_SUFFIX}")
    string(REPLACE ";" "${unit_separator}" name_key "${test_name}")
    if(name_key IN_LIST names)
        continue()
    endif()
    list(APPEND names "${name_key}")

    string(REPLACE "\\" "\\\\" filter "${case_name}")
    string(REPLACE "," "\\," filter "${filter}")

    bracket(q_name "${test_name}")
    bracket(q_exe "${TEST_EXECUTABLE}")
    bracket(q_filter "--test-case=${filter}")
    set(command "${q_name}")
    foreach(arg IN LISTS TEST_EXECUTOR)
        bracket(q "${arg}")
        string(APPEND command " ${q}")
    endforeach()
    string(APPEND command " ${q_exe} ${q_filter}")
    foreach(arg IN LISTS TEST_EXTRA_ARGS)
        bracket(q "${arg}")
        string(APPEND command " ${q}")
    endforeach()
    bracket(q_dir "${TEST_WORKING_DIR}")
    set(properties "WORKING_DIRECTORY ${q_dir}")
    foreach(item IN LISTS TEST_PROPERTIES)
        bracket(q "${item}")
        string(APPEND properties " ${q}")
    endforeach()
    string(APPEND script "add_test(${command})\n")
    string(APPEND script "set_tests_properties(${q_name} PROPERTIES ${properties})\n")
endforeach()

file(WRITE "${CTEST_FILE}" "${script}")
