/* A small test harness for the C suite: checks that count and report, and file helpers.
 *
 * Every CHECK* adds one to the passed or the failed count; a failure prints where and why and
 * the test goes on. main() prints "N passed, N failed" as its last line and exits non-zero
 * when anything failed. */
#ifndef OUTRIG_TEST_HARNESS_H
#define OUTRIG_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "outrig.h"

extern int harness_passed;
extern int harness_failed;

void harness_record(bool ok, const char *file, int line, const char *what, const char *detail);

#define CHECK(cond) harness_record((cond), __FILE__, __LINE__, #cond, NULL)

/* Checks a status, and on a mismatch shows both names and the last error message. */
#define CHECK_STATUS(expr, want) \
    harness_check_status((expr), (want), __FILE__, __LINE__, #expr)
void harness_check_status(outrig_status got, outrig_status want, const char *file, int line,
                          const char *what);

#define CHECK_OK(expr) CHECK_STATUS((expr), OUTRIG_OK)

/* Checks that a C string (which may be NULL) equals `want` (which may be NULL). */
#define CHECK_STR(got, want) harness_check_str((got), (want), __FILE__, __LINE__, #got)
void harness_check_str(const char *got, const char *want, const char *file, int line,
                       const char *what);

/* Checks that `haystack` (which may be NULL) contains `needle`. */
#define CHECK_CONTAINS(haystack, needle) \
    harness_check_contains((haystack), (needle), __FILE__, __LINE__, #haystack)
void harness_check_contains(const char *haystack, const char *needle, const char *file,
                            int line, const char *what);

/* Checks that the thread's last error message names `needle` (an argument, a path, ...). */
#define CHECK_LAST_ERROR(needle) CHECK_CONTAINS(outrig_last_error_message(), (needle))

/* A fresh temporary directory (under $TMPDIR or /tmp), removed by test_dir_cleanup(). */
typedef struct test_dir {
    char path[4096];
} test_dir;
void test_dir_make(test_dir *dir);
void test_dir_cleanup(test_dir *dir);

/* Writes `dir/name` into `out` (of `size` bytes) and returns `out`. */
char *path_join(char *out, size_t size, const char *dir, const char *name);
#define JOIN(buf, dir, name) path_join((buf), sizeof(buf), (dir), (name))

void write_file(const char *path, const void *bytes, size_t len);
void write_text(const char *path, const char *text);
/* The whole file, NUL-terminated, malloc'd (free it); NULL when it cannot be read. */
char *read_file(const char *path, size_t *len);
void make_dir(const char *path);
bool path_exists(const char *path);
/* Removes a tree, symlinks not followed. */
void remove_tree(const char *path);

/* A spec with the three required values set (free with outrig_spec_free). */
outrig_spec *basic_spec(const char *container_name);

/* Creates an auto session from basic_spec and returns it (free with outrig_session_free). */
outrig_session *create_basic(const outrig_store *store, const char *container_name);

/* The conformance vectors' directory: $OUTRIG_CONFORMANCE_DIR, else ../shared/conformance. */
const char *conformance_dir(void);

/* Whether `a` lists before `b`: newest first by start time, then by id. */
bool listed_before(const outrig_session *a, const outrig_session *b);

/* The test groups, one per file. */
void test_basics(void);
void test_store_open(void);
void test_store_ops(void);
void test_store_errors(void);
void test_spec(void);
void test_session(void);
void test_listing(void);
void test_logs(void);
void test_clean(void);
void test_null_arguments(void);
void test_invalid_utf8(void);
void test_conformance(void);
void test_lifecycle(void);
void test_threads(void);
void test_watch(void);

/* Nanoseconds since the Unix epoch of 2026-05-01T14:19:51Z, the conformance end time. */
#define CONFORMANCE_ENDED_AT_NS (INT64_C(1777645191) * INT64_C(1000000000))

/* Child processes, for the tests that fork (lifecycle, watch). */
#include <sys/types.h>
/* Forks; in the child runs `body(arg)` and leaves with its result as the exit status (1 when a
 * check failed in the child and `body` returned 0). */
pid_t fork_child(int (*body)(void *), void *arg);
/* Waits for `pid` (through EINTR) and returns its raw wait status, or -1. */
int wait_for(pid_t pid);
/* Reads a line (without its newline) from `fd` into `buf`; false at EOF before a newline. */
bool read_line(int fd, char *buf, size_t size);
/* Writes all of `text` to `fd` (through EINTR); gives up quietly when the reader is gone. */
void write_all(int fd, const char *text);

#endif
