"""The CLI tests' runner: @case runs a test function at once and counts it; finish() prints the counts
and exits non-zero if any failed."""
import sys

failures = 0
passed = 0


def case(fn):
    global failures, passed
    try:
        fn()
        passed += 1
        print(f"ok   {fn.__name__}")
    except AssertionError as e:
        failures += 1
        print(f"FAIL {fn.__name__}: {e}")


def finish():
    print(f"{passed} passed, {failures} failed")
    sys.exit(1 if failures else 0)
