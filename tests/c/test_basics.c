/* Version, status names, the last error, formatting, and frees of NULL. */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <stdlib.h>

static void check_duration(uint64_t ns, const char *want) {
    char *text = outrig_format_duration(ns);
    CHECK_STR(text, want);
    outrig_string_free(text);
}

static void check_started_at(int64_t unix_ns, const char *want) {
    char *text = outrig_format_started_at(unix_ns);
    CHECK_STR(text, want);
    outrig_string_free(text);
}

void test_basics(void) {
    /* The loaded library is the one the header describes. */
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", OUTRIG_VERSION_MAJOR, OUTRIG_VERSION_MINOR,
             OUTRIG_VERSION_PATCH);
    CHECK_STR(outrig_version(), want);

    /* Statuses: stable numbers and their names. */
    CHECK(OUTRIG_OK == 0);
    CHECK(OUTRIG_ERR_INVALID_ARGUMENT == 1);
    CHECK(OUTRIG_ERR_NOT_FOUND == 2);
    CHECK(OUTRIG_ERR_ALREADY_EXISTS == 3);
    CHECK(OUTRIG_ERR_DIR_NOT_USABLE == 4);
    CHECK(OUTRIG_ERR_CORRUPT_RECORD == 5);
    CHECK(OUTRIG_ERR_CONFIG == 6);
    CHECK(OUTRIG_ERR_IO == 7);
    CHECK(OUTRIG_ERR_PANIC == 8);
    CHECK_STR(outrig_status_name(OUTRIG_OK), "OUTRIG_OK");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_INVALID_ARGUMENT), "OUTRIG_ERR_INVALID_ARGUMENT");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_NOT_FOUND), "OUTRIG_ERR_NOT_FOUND");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_ALREADY_EXISTS), "OUTRIG_ERR_ALREADY_EXISTS");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_DIR_NOT_USABLE), "OUTRIG_ERR_DIR_NOT_USABLE");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_CORRUPT_RECORD), "OUTRIG_ERR_CORRUPT_RECORD");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_CONFIG), "OUTRIG_ERR_CONFIG");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_IO), "OUTRIG_ERR_IO");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_PANIC), "OUTRIG_ERR_PANIC");
    CHECK_STR(outrig_status_name(OUTRIG_ERR_BUSY), "OUTRIG_ERR_BUSY");
    /* A number outside the enum is reported, not trusted. */
    CHECK_STR(outrig_status_name((outrig_status)10), "OUTRIG_UNKNOWN_STATUS");
    CHECK_STR(outrig_status_name((outrig_status)-1), "OUTRIG_UNKNOWN_STATUS");

    /* Nothing failed yet on this thread. */
    CHECK_STR(outrig_last_error_message(), "");
    CHECK(outrig_last_os_error() == 0);

    /* A failure sets the last error; a status success clears it. */
    outrig_store *store = NULL;
    CHECK_STATUS(outrig_store_open("", &store), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK(store == NULL);
    CHECK_LAST_ERROR("empty");
    const char *message = outrig_last_error_message();
    CHECK(message == outrig_last_error_message()); /* stable until the next call */
    CHECK_OK(outrig_store_open("/nonexistent/outrig-root", &store));
    CHECK_STR(outrig_last_error_message(), "");
    CHECK(outrig_last_os_error() == 0);
    /* Getters that fail set it; getters that succeed leave it alone. */
    CHECK(outrig_session_id(NULL) == NULL);
    CHECK_LAST_ERROR("`session`");
    CHECK_STR(outrig_store_root(store), "/nonexistent/outrig-root");
    CHECK_LAST_ERROR("`session`");
    outrig_store_free(store);

    /* Formatting as `outrig ls` shows it. */
    /* Nanoseconds in, like every other time, as outrig_session_duration gives them; whole
     * seconds out, rounded down. */
    const uint64_t s = UINT64_C(1000000000);
    check_duration(0, "0m00s");
    check_duration(s - 1, "0m00s");
    check_duration(44 * s + 999999999, "0m44s");
    check_duration(362 * s, "6m02s");
    check_duration(3599 * s, "59m59s");
    check_duration(3600 * s, "1h00m");
    check_duration(3900 * s, "1h05m");
    check_duration(90061 * s, "25h01m");
    check_duration(UINT64_MAX, "5124095h34m");
    check_started_at(INT64_C(1777643052) * 1000000000 + 999999999, "2026-05-01 13:44:12");
    check_started_at(0, "1970-01-01 00:00:00");
    check_started_at(-1, "1969-12-31 23:59:59");
    check_started_at(INT64_MAX, "2262-04-11 23:47:16");
    check_started_at(INT64_MIN, "1677-09-21 00:12:43");

    /* Every free accepts NULL. */
    outrig_string_free(NULL);
    outrig_store_free(NULL);
    outrig_spec_free(NULL);
    outrig_session_free(NULL);
    outrig_listing_free(NULL);
    outrig_strings_free(NULL);
    outrig_logs_free(NULL);
    CHECK(1);
}
