/* A stand-in for liboutrig in the test of the ABI check (tests/abi/check_test.sh): one
 * version per macro, each the kind of change the check must pass or refuse. */
#include <stdint.h>

struct outrig_fixture_span {
    int64_t start_ns;
#ifdef GROWN_STRUCT
    int64_t extra_ns; /* a public struct that grew: its users allocated the old size */
#endif
    int64_t end_ns;
};

#ifdef CHANGED_SIGNATURE
/* The unit or width of an argument changed: a caller built against v1 passes garbage. */
int64_t outrig_fixture_duration(int64_t nanos, int flags) { return nanos + flags; }
#else
int outrig_fixture_duration(int secs) { return secs; }
#endif

int64_t outrig_fixture_span_length(const struct outrig_fixture_span *span) {
    return span->end_ns - span->start_ns;
}

#ifndef REMOVED_FUNCTION
int outrig_fixture_version(void) { return 1; }
#endif

#ifdef ADDED_FUNCTION
int outrig_fixture_duration_v2(int64_t nanos) { return (int)(nanos / 1000000000); }
#endif

#ifdef FOREIGN_SYMBOL
int fixture_helper(void) { return 0; }
#endif
