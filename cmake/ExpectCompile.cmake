# Driver for compile-fail / compile-pass tests, run by ctest as
#
#   cmake -DCOMPILER=<c++> -DSOURCE=<file.cpp> -DEXPECT_FAIL=<ON|OFF> [-DREGEX=<regex>]
#         [-DARGS=<a|b|...>] [-DDEFINES=<X|Y=1|...>] [-DINCLUDES=<d1|d2|...>]
#         [-DSYSTEM_INCLUDES=<d|...>] [-DIMPLICIT_INCLUDES=<d|...>]
#         -P ExpectCompile.cmake
#
# It compiles SOURCE as one translation unit (syntax-only: templates are still
# instantiated, so static_asserts fire) and checks
#   EXPECT_FAIL=ON : the compiler exits non-zero AND its output matches REGEX;
#   EXPECT_FAIL=OFF: the compiler exits zero (REGEX, if given, must then match too).
# INCLUDES become -I, SYSTEM_INCLUDES (minus INCLUDES and the compiler's implicit
# directories such as /usr/include) -isystem.
# List arguments are '|'-separated (';' does not survive add_test); empty items,
# e.g. from generator expressions that evaluated to nothing, are dropped.

cmake_minimum_required(VERSION 3.25)  # policies for -P mode (IN_LIST, ...)

foreach(var COMPILER SOURCE EXPECT_FAIL)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "ExpectCompile.cmake: -D${var}=... is required")
    endif()
endforeach()
if(NOT EXISTS "${SOURCE}")
    message(FATAL_ERROR "ExpectCompile.cmake: no such source file: ${SOURCE}")
endif()
if(EXPECT_FAIL AND "${REGEX}" STREQUAL "")
    message(FATAL_ERROR "ExpectCompile.cmake: EXPECT_FAIL=ON needs a REGEX for the expected diagnostic")
endif()

function(_split out prefix value)
    string(REPLACE "|" ";" items "${value}")
    set(result "")
    foreach(item IN LISTS items)
        if(NOT "${item}" STREQUAL "")
            list(APPEND result "${prefix}${item}")
        endif()
    endforeach()
    set(${out} "${result}" PARENT_SCOPE)
endfunction()

_split(args "" "${ARGS}")
_split(own_dirs "" "${INCLUDES}")
_split(system_dirs "" "${SYSTEM_INCLUDES}")
_split(implicit_dirs "" "${IMPLICIT_INCLUDES}")
_split(defines "-D" "${DEFINES}")
set(includes "")
foreach(dir IN LISTS own_dirs)
    list(APPEND includes "-I${dir}")
endforeach()
list(REMOVE_DUPLICATES system_dirs)
foreach(dir IN LISTS system_dirs)
    if(NOT dir IN_LIST own_dirs AND NOT dir IN_LIST implicit_dirs)
        list(APPEND includes "-isystem" "${dir}")
    endif()
endforeach()

set(command "${COMPILER}" ${args} ${includes} ${defines} "${SOURCE}")
list(JOIN command " " command_line)
message(STATUS "Running: ${command_line}")

execute_process(
    COMMAND ${command}
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)

if(NOT rc MATCHES "^[0-9]+$")
    message(FATAL_ERROR "could not run the compiler (${rc}):\n${command_line}")
endif()

get_filename_component(name "${SOURCE}" NAME)
if(EXPECT_FAIL)
    if(rc EQUAL 0)
        message(FATAL_ERROR
            "${name} compiled, but it must be rejected with a diagnostic matching '${REGEX}'.\n"
            "Compiler output:\n${output}")
    endif()
    if(NOT output MATCHES "${REGEX}")
        message(FATAL_ERROR
            "${name} was rejected (exit code ${rc}) as expected, but no diagnostic matches '${REGEX}'.\n"
            "Compiler output:\n${output}")
    endif()
    # Show the line that matched, so the log says why the test passed.
    string(REGEX MATCH "[^\n]*(${REGEX})[^\n]*" matched_line "${output}")
    message(STATUS "Rejected as expected (exit code ${rc}); matching diagnostic:\n  ${matched_line}")
else()
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${name} must compile, but the compiler exited with ${rc}.\nCompiler output:\n${output}")
    endif()
    if(NOT "${REGEX}" STREQUAL "" AND NOT output MATCHES "${REGEX}")
        message(FATAL_ERROR "${name} compiled, but its output does not match '${REGEX}'.\nCompiler output:\n${output}")
    endif()
    message(STATUS "Compiled as expected")
endif()
