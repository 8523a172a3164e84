/* The harness's counters, checks and file helpers, and the suite's main(). */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <errno.h>
#include <sys/wait.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int harness_passed = 0;
int harness_failed = 0;

void harness_record(bool ok, const char *file, int line, const char *what, const char *detail) {
    if (ok) {
        harness_passed++;
        return;
    }
    harness_failed++;
    fprintf(stderr, "FAIL %s:%d: %s%s%s\n", file, line, what, detail ? ": " : "",
            detail ? detail : "");
}

void harness_check_status(outrig_status got, outrig_status want, const char *file, int line,
                          const char *what) {
    char detail[8192];
    bool ok = got == want;
    if (!ok) {
        snprintf(detail, sizeof detail, "got %s, want %s (last error: \"%s\")",
                 outrig_status_name(got), outrig_status_name(want), outrig_last_error_message());
    }
    harness_record(ok, file, line, what, ok ? NULL : detail);
}

void harness_check_str(const char *got, const char *want, const char *file, int line,
                       const char *what) {
    char detail[8192];
    bool ok = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);
    if (!ok) {
        snprintf(detail, sizeof detail, "got %s%s%s, want %s%s%s", got ? "\"" : "",
                 got ? got : "NULL", got ? "\"" : "", want ? "\"" : "", want ? want : "NULL",
                 want ? "\"" : "");
    }
    harness_record(ok, file, line, what, ok ? NULL : detail);
}

void harness_check_contains(const char *haystack, const char *needle, const char *file,
                            int line, const char *what) {
    char detail[8192];
    bool ok = haystack != NULL && strstr(haystack, needle) != NULL;
    if (!ok) {
        snprintf(detail, sizeof detail, "%s%s%s does not contain \"%s\"", haystack ? "\"" : "",
                 haystack ? haystack : "NULL", haystack ? "\"" : "", needle);
    }
    harness_record(ok, file, line, what, ok ? NULL : detail);
}

static void die(const char *what, const char *path) {
    fprintf(stderr, "test setup failed: %s %s: %s\n", what, path, strerror(errno));
    exit(2);
}

void test_dir_make(test_dir *dir) {
    const char *base = getenv("TMPDIR");
    snprintf(dir->path, sizeof dir->path, "%s/outrig-c-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(dir->path) == NULL) {
        die("mkdtemp", dir->path);
    }
}

void test_dir_cleanup(test_dir *dir) {
    remove_tree(dir->path);
}

char *path_join(char *out, size_t size, const char *dir, const char *name) {
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "test setup failed: path too long: %s/%s\n", dir, name);
        exit(2);
    }
    return out;
}

void write_file(const char *path, const void *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        die("opening", path);
    }
    if (len > 0 && fwrite(bytes, 1, len, f) != len) {
        die("writing", path);
    }
    if (fclose(f) != 0) {
        die("closing", path);
    }
}

void write_text(const char *path, const char *text) {
    write_file(path, text, strlen(text));
}

char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap + 1);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *bigger = realloc(buf, cap + 1);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len) {
        *len = n;
    }
    return buf;
}

void make_dir(const char *path) {
    if (mkdir(path, 0755) != 0) {
        die("mkdir", path);
    }
}

bool path_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    if (rc != 0 && errno != ENOENT) {
        fprintf(stderr, "warning: cannot remove %s: %s\n", path, strerror(errno));
    }
    return 0;
}

void remove_tree(const char *path) {
    if (path_exists(path)) {
        nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

outrig_spec *basic_spec(const char *container_name) {
    outrig_spec *spec = outrig_spec_new();
    CHECK(spec != NULL);
    CHECK_OK(outrig_spec_set_container_name(spec, container_name));
    CHECK_OK(outrig_spec_set_image_tag(spec, "localhost/outrig-coding:d8aa33"));
    CHECK_OK(outrig_spec_set_working_dir(spec, "/home/me/repo"));
    return spec;
}

outrig_session *create_basic(const outrig_store *store, const char *container_name) {
    outrig_spec *spec = basic_spec(container_name);
    outrig_session *session = NULL;
    CHECK_OK(outrig_store_create(store, spec, &session));
    outrig_spec_free(spec);
    return session;
}

const char *conformance_dir(void) {
    const char *dir = getenv("OUTRIG_CONFORMANCE_DIR");
    return dir && *dir ? dir : "../shared/conformance";
}

int main(void) {
    struct {
        const char *name;
        void (*run)(void);
    } groups[] = {
        {"basics", test_basics},
        {"store_open", test_store_open},
        {"store_ops", test_store_ops},
        {"store_errors", test_store_errors},
        {"spec", test_spec},
        {"session", test_session},
        {"listing", test_listing},
        {"logs", test_logs},
        {"clean", test_clean},
        {"null_arguments", test_null_arguments},
        {"invalid_utf8", test_invalid_utf8},
        {"conformance", test_conformance},
        {"lifecycle", test_lifecycle},
        {"threads", test_threads},
        {"watch", test_watch},
    };
    printf("liboutrig %s (header %d.%d.%d)\n", outrig_version(), OUTRIG_VERSION_MAJOR,
           OUTRIG_VERSION_MINOR, OUTRIG_VERSION_PATCH);
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        int failed_before = harness_failed, passed_before = harness_passed;
        groups[i].run();
        printf("%-16s %4d checks%s\n", groups[i].name,
               harness_passed - passed_before + harness_failed - failed_before,
               harness_failed > failed_before ? "  FAILED" : "");
    }
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

bool listed_before(const outrig_session *a, const outrig_session *b) {
    int64_t ta = outrig_session_started_at(a), tb = outrig_session_started_at(b);
    return ta > tb || (ta == tb && strcmp(outrig_session_id(a), outrig_session_id(b)) > 0);
}

/* ---- Child processes (the lifecycle and watch tests) ---- */

/* Forks; in the child runs `body(arg)` and leaves with its result as the exit status. */
pid_t fork_child(int (*body)(void *), void *arg) {
    fflush(stdout); /* or the child would print the parent's buffered output again */
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        int failed_before = harness_failed;
        int code = body(arg);
        if (harness_failed > failed_before && code == 0) {
            code = 1;
        }
        fflush(stdout);
        _exit(code);
    }
    return pid;
}

/* Waits for `pid` and returns its raw wait status. */
int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("waitpid");
            return -1;
        }
    }
    return status;
}

/* Reads a line (without its newline) from `fd` into `buf`; false at EOF before a newline. */
bool read_line(int fd, char *buf, size_t size) {
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t got = read(fd, buf + n, 1);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return false;
        }
        if (buf[n] == '\n') {
            buf[n] = 0;
            return true;
        }
        n++;
    }
    return false;
}

void write_all(int fd, const char *text) {
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        text += n;
        len -= (size_t)n;
    }
}
