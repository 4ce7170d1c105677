# ctest -L harness: a tiny CPU sweep, interrupted and resumed.
#   cmake -DHARNESS=... -DCHECK=... -DWORKDIR=... [-DLIBRARY_KEY=torch_build] [-DKINDS=k1,k2,...] -P resume_test.cmake
# (KINDS: the kinds to sweep; default the eight every CPU harness measures)
#
# 1. --count 6, both passes                      -> 12 rows
# 2. --count 12 --crash-after 5                  -> dies mid-row: 5 new rows + half a line
# 3. --count 12                                  -> cuts the half line, measures the rest: 24 rows
# 4. --count 12 again                            -> nothing to do, file unchanged
# 5. perfcast-harness-check: loads with perfcast::load_dataset, 24 rows, no duplicates,
#    provenance present.
foreach(v HARNESS CHECK WORKDIR)
    if(NOT DEFINED ${v})
        message(FATAL_ERROR "resume_test.cmake: -D${v}=... is required")
    endif()
endforeach()

if(NOT DEFINED KINDS)
    set(KINDS conv2d,dense,pool2d,batchnorm2d,activation,add,concat,softmax)
endif()
string(REPLACE "," "|" kinds_regex "${KINDS}")

file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
set(out ${WORKDIR}/sweep.csv)
set(common --out ${out} --seed 7 --kinds ${KINDS} --passes inference,training --dtype fp32
    --max-flops 2e6 --max-bytes 4e6 --budget-ms 2 --warmup-ms 0.5 --min-samples 3 --threads 1 --quiet)

function(run_harness expect_rc)
    execute_process(COMMAND ${HARNESS} ${common} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
    if(NOT rc STREQUAL "${expect_rc}")
        message(FATAL_ERROR "harness ${ARGN}: exit ${rc}, expected ${expect_rc}\n${o}\n${e}")
    endif()
endfunction()

function(count_rows var)
    file(STRINGS ${out} lines)
    set(n 0)
    foreach(l IN LISTS lines)
        if(l MATCHES "^(${kinds_regex}),")
            math(EXPR n "${n} + 1")
        endif()
    endforeach()
    set(${var} ${n} PARENT_SCOPE)
endfunction()

run_harness(0 --count 6)
count_rows(n)
if(NOT n EQUAL 12)
    message(FATAL_ERROR "after --count 6: ${n} rows, expected 12")
endif()

run_harness(3 --count 12 --crash-after 5)
file(READ ${out} text)
string(LENGTH "${text}" len)
math(EXPR last "${len} - 1")
string(SUBSTRING "${text}" ${last} 1 tail)
if(tail STREQUAL "\n")
    message(FATAL_ERROR "--crash-after should leave a partial last line")
endif()

run_harness(0 --count 12)
count_rows(n)
if(NOT n EQUAL 24)
    message(FATAL_ERROR "after resuming --count 12: ${n} rows, expected 24")
endif()

file(SHA256 ${out} before)
run_harness(0 --count 12)
file(SHA256 ${out} after_)
file(STRINGS ${out} resumed REGEX "^# resumed_")
list(LENGTH resumed n_resumed)
if(NOT n_resumed EQUAL 3)
    message(FATAL_ERROR "expected 3 '# resumed_N' provenance lines, got ${n_resumed}")
endif()
count_rows(n)
if(NOT n EQUAL 24)
    message(FATAL_ERROR "a run with nothing to do changed the rows: ${n}")
endif()

if(NOT DEFINED LIBRARY_KEY)
    set(LIBRARY_KEY onednn_version)  # the provenance key naming the backend's library
endif()
execute_process(COMMAND ${CHECK} ${out} --rows 24 --require cpu_model --require ${LIBRARY_KEY} --require threads
                        --require date_utc --require load_average_start --require command
                RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "perfcast-harness-check failed (${rc}):\n${o}\n${e}")
endif()
message(STATUS "${o}")
