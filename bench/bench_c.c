/* The C face of `make bench`: times one store operation through liboutrig and prints one line
 * per sample (seconds).
 *
 *   bench_c list ROOT N            N listings in this process, each opening the store and
 *                                  reading the fields `outrig-sessions ls` prints (id, start,
 *                                  end, exit code, image config, link target) of every session;
 *                                  the first line is the fresh process's listing
 *   bench_c get ROOT N             N gets of ids spread over the root
 *   bench_c create ROOT N          N auto creates
 *   bench_c finalize ROOT N        finalize of N running sessions
 *   bench_c remove_by_path ROOT N  N removals by directory
 */
#define _POSIX_C_SOURCE 200809L
#include <outrig.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(outrig_status st, const char *what) {
    if (st != OUTRIG_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, outrig_status_name(st), outrig_last_error_message());
        exit(1);
    }
}

/* Reads every field of a session, as a launcher printing a listing would. */
static size_t touch(const outrig_session *s) {
    size_t n = strlen(outrig_session_id(s)) + strlen(outrig_session_container_name(s)) +
               strlen(outrig_session_image_tag(s)) + strlen(outrig_session_working_dir(s)) +
               strlen(outrig_session_session_dir(s));
    const char *opt[] = {outrig_session_image_config_name(s), outrig_session_agent_name(s),
                         outrig_session_link_target(s)};
    for (size_t i = 0; i < 3; i++) n += opt[i] ? strlen(opt[i]) : 0;
    int64_t t = outrig_session_started_at(s), end = 0;
    int32_t code = 0;
    n += (size_t)(t & 1);
    if (outrig_session_ended_at(s, &end)) n += (size_t)(end & 1);
    if (outrig_session_exit_code(s, &code)) n += (size_t)(code & 1);
    for (size_t i = 0; i < outrig_session_sidecar_count(s); i++) n += strlen(outrig_session_sidecar(s, i));
    return n;
}

/* Reads the fields `outrig-sessions ls` prints, as a launcher's own `ls` would. */
static size_t touch_ls(const outrig_session *s) {
    const char *config = outrig_session_image_config_name(s), *link = outrig_session_link_target(s);
    size_t n = strlen(outrig_session_id(s)) + (config ? strlen(config) : 0) + (link ? strlen(link) : 0);
    int64_t t = outrig_session_started_at(s), end = 0;
    int32_t code = 0;
    n += (size_t)(t & 1);
    if (outrig_session_ended_at(s, &end)) n += (size_t)(end & 1);
    if (outrig_session_exit_code(s, &code)) n += (size_t)(code & 1);
    return n;
}

static size_t gcd(size_t a, size_t b) {
    while (b) { size_t t = a % b; a = b; b = t; }
    return a;
}

/* The ids under the root, spread (not in listing order); the caller frees with free(). */
static char **spread_ids(const outrig_store *store, size_t *len) {
    outrig_listing *l = NULL;
    check(outrig_store_list(store, &l), "list");
    size_t n = outrig_listing_len(l);
    char **ids = calloc(n ? n : 1, sizeof *ids);
    size_t step = (n / 2) | 1; /* a step coprime with n visits every session once */
    while (n > 1 && gcd(step, n) != 1) step++;
    for (size_t i = 0; i < n; i++) ids[i] = strdup(outrig_session_id(outrig_listing_get(l, (i * step) % n)));
    outrig_listing_free(l);
    *len = n;
    return ids;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_c OP ROOT N\n");
        return 2;
    }
    const char *op = argv[1];
    long n = atol(argv[3]);
    volatile size_t sink = 0;
    if (strcmp(op, "list") == 0) {
        for (long r = 0; r < n; r++) {
            double t0 = now();
            outrig_store *s = NULL;
            check(outrig_store_open(argv[2], &s), "open");
            outrig_listing *l = NULL;
            check(outrig_store_list(s, &l), "list");
            for (size_t i = 0; i < outrig_listing_len(l); i++) sink += touch_ls(outrig_listing_get(l, i));
            outrig_listing_free(l);
            outrig_store_free(s);
            printf("%.9f\n", now() - t0);
        }
        return sink == (size_t)-1;
    }
    outrig_store *store = NULL;
    check(outrig_store_open(argv[2], &store), "open");
    if (strcmp(op, "create") == 0) {
        outrig_spec *spec = outrig_spec_new();
        check(outrig_spec_set_container_name(spec, "outrig-bench"), "spec");
        check(outrig_spec_set_image_tag(spec, "localhost/outrig-coding:d8aa33"), "spec");
        check(outrig_spec_set_image_config_name(spec, "coding"), "spec");
        check(outrig_spec_set_agent_name(spec, "coder"), "spec");
        check(outrig_spec_set_working_dir(spec, "/home/me/repo"), "spec");
        for (long r = 0; r < n; r++) {
            double t0 = now();
            outrig_session *s = NULL;
            check(outrig_store_create(store, spec, &s), "create");
            outrig_session_free(s);
            printf("%.9f\n", now() - t0);
        }
        outrig_spec_free(spec);
    } else {
        size_t len = 0;
        char **ids = spread_ids(store, &len);
        if (len == 0) { fprintf(stderr, "no sessions under %s\n", argv[2]); return 1; }
        for (long r = 0; r < n; r++) {
            const char *id = ids[(size_t)r % len];
            double t0;
            if (strcmp(op, "get") == 0) {
                t0 = now();
                outrig_session *s = NULL;
                check(outrig_store_get(store, id, &s), "get");
                sink += touch(s);
                outrig_session_free(s);
            } else if (strcmp(op, "finalize") == 0) {
                t0 = now();
                check(outrig_store_finalize(store, id, 0), "finalize");
            } else if (strcmp(op, "remove_by_path") == 0) {
                char *dir = NULL;
                check(outrig_store_entry_path(store, id, &dir), "entry_path");
                t0 = now();
                check(outrig_store_remove_by_path(store, dir, NULL), "remove_by_path");
                outrig_string_free(dir);
            } else {
                fprintf(stderr, "unknown op %s\n", op);
                return 2;
            }
            printf("%.9f\n", now() - t0);
        }
        for (size_t i = 0; i < len; i++) free(ids[i]);
        free(ids);
    }
    outrig_store_free(store);
    return sink == (size_t)-1;
}
