/* Waiting for a session and watching a root, across processes: outrig_store_wait returns for a
 * session a child finalizes (with its code), abandons (killed with SIGKILL) or removes, and times
 * out for one that runs on; a watch sees every create, finalize and remove of a storm of 8
 * children exactly once per session, also after its queue overflowed while it was not read; its
 * descriptor polls; every new entry point refuses NULL and bad UTF-8.
 *
 * Children are forked and use the library on their own (they open their own store), talk to the
 * parent through pipes and leave with _exit. The parent's store has a container probe that says
 * nothing runs (no container runs in these tests): with the default one, an engine that cannot
 * be asked (a docker without its daemon) makes an unleased session UNKNOWN, which a wait
 * rightly does not take for an end. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STORM_PROCS 8
#define STORM_EACH 10
#define STORM_TOTAL (STORM_PROCS * STORM_EACH)

/* A child process: `count` sessions (0: one session it keeps leased), then commands. */
typedef struct child {
    pid_t pid;
    int to_child;   /* the parent writes commands here */
    int from_child; /* and reads lines from here */
    const char *root;
    int count;
    char id[64];
} child;

/* The launcher (count 0): creates a session, prints its id, then obeys one byte: 'f' finalizes
 * with exit code 7, 'r' removes it (both through the lease), EOF leaves it unfinalized. The storm
 * worker (count > 0): creates and finalizes `count` sessions, prints each id, then "ready"; on
 * 'r' removes them all and prints "done". */
static int child_body(void *arg) {
    child *c = arg;
    outrig_store *store = NULL;
    if (outrig_store_open(c->root, &store) != OUTRIG_OK) {
        return 3;
    }
    char line[96];
    int code = 0;
    if (c->count == 0) {
        outrig_session *s = create_basic(store, "waited");
        if (s == NULL) {
            return 4;
        }
        snprintf(line, sizeof line, "%s\n", outrig_session_id(s));
        write_all(c->from_child, line);
        char command = 0;
        ssize_t got;
        while ((got = read(c->to_child, &command, 1)) < 0 && errno == EINTR) {
        }
        if (got == 1 && command == 'f') {
            code = outrig_store_finalize(store, outrig_session_id(s), 7) == OUTRIG_OK ? 0 : 5;
        } else if (got == 1 && command == 'r') {
            outrig_strings *kept = NULL;
            code = outrig_store_remove(store, outrig_session_id(s), &kept) == OUTRIG_OK ? 0 : 6;
            outrig_strings_free(kept);
        }
        write_all(c->from_child, "done\n");
        outrig_session_free(s);
    } else {
        char(*ids)[64] = calloc((size_t)c->count, sizeof *ids);
        for (int i = 0; i < c->count && code == 0; i++) {
            outrig_session *s = create_basic(store, "storm");
            if (s == NULL || outrig_store_finalize(store, outrig_session_id(s), i % 256) != OUTRIG_OK) {
                code = 7;
            } else {
                snprintf(ids[i], sizeof ids[i], "%s", outrig_session_id(s));
                snprintf(line, sizeof line, "%s\n", ids[i]);
                write_all(c->from_child, line);
            }
            outrig_session_free(s);
        }
        write_all(c->from_child, "ready\n");
        char command = 0;
        ssize_t got;
        while ((got = read(c->to_child, &command, 1)) < 0 && errno == EINTR) {
        }
        if (got == 1 && command == 'r') {
            for (int i = 0; i < c->count && code == 0; i++) {
                outrig_strings *kept = NULL;
                code = outrig_store_remove(store, ids[i], &kept) == OUTRIG_OK ? 0 : 8;
                outrig_strings_free(kept);
            }
        }
        write_all(c->from_child, "done\n");
        free(ids);
    }
    outrig_store_free(store);
    return code;
}

/* Starts a child; for a launcher, on return its session exists, is leased, and c->id names it. */
static void child_start(child *c, const char *root, int count) {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) {
        perror("pipe");
        exit(2);
    }
    c->root = root;
    c->count = count;
    c->to_child = down[0];
    c->from_child = up[1];
    c->pid = fork_child(child_body, c);
    close(down[0]);
    close(up[1]);
    c->to_child = down[1];
    c->from_child = up[0];
    if (count == 0) {
        CHECK(read_line(c->from_child, c->id, sizeof c->id));
    }
}

static void child_send(child *c, char command) {
    char buf[1] = {command};
    CHECK(write(c->to_child, buf, 1) == 1);
}

static int child_end(child *c) {
    close(c->to_child);
    close(c->from_child);
    return wait_for(c->pid);
}

/* What a helper process does to a launcher while the parent waits. */
typedef struct delayed {
    child *c;
    char command; /* 'f', 'r', or 'k' for the parent's SIGKILL */
} delayed;

/* Tells the launcher (or kills it) 200 ms from now, from a forked helper, while the parent
 * waits. */
static int act_later_body(void *arg) {
    delayed *d = arg;
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    if (d->command == 'k') {
        return kill(d->c->pid, SIGKILL) == 0 ? 0 : 1;
    }
    char buf[1] = {d->command};
    return write(d->c->to_child, buf, 1) == 1 ? 0 : 1;
}

static bool nothing_runs(void *userdata, const char *const *names, size_t count, bool *running) {
    (void)userdata;
    (void)names;
    for (size_t i = 0; i < count; i++) {
        running[i] = false;
    }
    return true;
}

/* The parent's store on `root`, with the probe above. */
static outrig_store *open_quiet(const char *root) {
    outrig_store *base = NULL, *store = NULL;
    CHECK_OK(outrig_store_open(root, &base));
    CHECK_OK(outrig_store_with_container_probe(base, nothing_runs, NULL, &store));
    outrig_store_free(base);
    return store;
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void test_wait(const char *root) {
    outrig_store *store = open_quiet(root);
    outrig_wait_outcome outcome = OUTRIG_WAIT_TIMED_OUT;
    int32_t code = -1;

    /* Finalized by the launcher while we wait. */
    child a;
    child_start(&a, root, 0);
    delayed da = {&a, 'f'};
    pid_t helper = fork_child(act_later_body, &da);
    CHECK_OK(outrig_store_wait(store, a.id, 30000, &outcome, &code));
    CHECK(outcome == OUTRIG_WAIT_FINISHED);
    CHECK(code == 7);
    CHECK(wait_for(helper) == 0);
    /* Already ended: at once, without the exit-code pointer too. */
    CHECK_OK(outrig_store_wait(store, a.id, 0, &outcome, NULL));
    CHECK(outcome == OUTRIG_WAIT_FINISHED);
    CHECK(child_end(&a) == 0);

    /* Its launcher killed with SIGKILL. */
    child b;
    child_start(&b, root, 0);
    delayed db = {&b, 'k'};
    helper = fork_child(act_later_body, &db);
    code = -1;
    CHECK_OK(outrig_store_wait(store, b.id, -1, &outcome, &code));
    CHECK(outcome == OUTRIG_WAIT_ABANDONED);
    CHECK(code == -1); /* untouched */
    CHECK(wait_for(helper) == 0);
    child_end(&b);

    /* Removed by its launcher. */
    child c;
    child_start(&c, root, 0);
    delayed dc = {&c, 'r'};
    helper = fork_child(act_later_body, &dc);
    CHECK_OK(outrig_store_wait(store, c.id, 30000, &outcome, &code));
    CHECK(outcome == OUTRIG_WAIT_REMOVED);
    CHECK(wait_for(helper) == 0);
    CHECK(child_end(&c) == 0);
    CHECK_OK(outrig_store_wait(store, "20200101T000000-0000", -1, &outcome, &code));
    CHECK(outcome == OUTRIG_WAIT_REMOVED);

    /* Still running when the timeout passes. */
    child d;
    child_start(&d, root, 0);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK_OK(outrig_store_wait(store, d.id, 300, &outcome, &code));
    CHECK(outcome == OUTRIG_WAIT_TIMED_OUT);
    CHECK(seconds_since(&start) >= 0.3);
    child_send(&d, 'f');
    CHECK_OK(outrig_store_wait(store, d.id, 30000, &outcome, &code));
    CHECK(outcome == OUTRIG_WAIT_FINISHED);
    CHECK(child_end(&d) == 0);

    CHECK_STATUS(outrig_store_wait(store, "../x", 0, &outcome, &code),
                 OUTRIG_ERR_INVALID_ARGUMENT);
    outrig_store_free(store);
}

/* The events until `want` of kind `kind` came (or 30 s passed); counts per kind in `seen`. */
typedef struct tally {
    int kinds[5];
    int total;
    /* Per session: the kinds in order, as letters ("cfr"). */
    char ids[STORM_TOTAL + 1][64];
    char order[STORM_TOTAL + 1][8];
    int sessions;
} tally;

static int tally_slot(tally *t, const char *id) {
    for (int i = 0; i < t->sessions; i++) {
        if (strcmp(t->ids[i], id) == 0) {
            return i;
        }
    }
    if (t->sessions == STORM_TOTAL + 1) {
        return -1;
    }
    snprintf(t->ids[t->sessions], sizeof t->ids[0], "%s", id);
    t->order[t->sessions][0] = 0;
    return t->sessions++;
}

static void collect(outrig_watch *watch, tally *t, outrig_event_kind kind, int want) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (t->kinds[kind] < want && seconds_since(&start) < 30) {
        outrig_event *e = NULL;
        CHECK_OK(outrig_watch_next(watch, 1000, &e));
        if (e == NULL) {
            continue;
        }
        outrig_event_kind k = OUTRIG_EVENT_CREATED;
        CHECK_OK(outrig_event_get_kind(e, &k));
        const outrig_session *s = outrig_event_session(e);
        CHECK((s == NULL) == (k == OUTRIG_EVENT_REMOVED));
        if (s != NULL) {
            CHECK_STR(outrig_session_id(s), outrig_event_id(e));
        }
        t->kinds[k]++;
        t->total++;
        int slot = tally_slot(t, outrig_event_id(e));
        if (slot >= 0) {
            size_t n = strlen(t->order[slot]);
            if (n + 1 < sizeof t->order[slot]) {
                t->order[slot][n] = "cuf" "ar"[k];
                t->order[slot][n + 1] = 0;
            }
        }
        outrig_event_free(e);
    }
    CHECK(t->kinds[kind] == want);
}

/* More notifications on the root than the kernel queues: a file no listing takes for a session
 * (its name starts with a dot) renamed to and fro, two notifications a rename. */
static void flood(const char *root) {
    char *text = read_file("/proc/sys/fs/inotify/max_queued_events", NULL);
    long queued = text ? strtol(text, NULL, 10) : 16384;
    free(text);
    char a[4200], b[4200];
    JOIN(a, root, ".flood-a");
    JOIN(b, root, ".flood-b");
    write_text(a, "");
    long failed = 0;
    for (long i = 0; i < queued / 4 + 100 && failed == 0; i++) {
        failed += rename(a, b) != 0;
        failed += rename(b, a) != 0;
    }
    CHECK(failed == 0);
    unlink(a);
}

static void test_storm(const char *root, bool overflow) {
    outrig_store *store = open_quiet(root);
    make_dir(root);
    outrig_watch *watch = NULL;
    CHECK_OK(outrig_store_watch(store, &watch));
    child workers[STORM_PROCS];
    char line[96];
    int made = 0;
    for (int i = 0; i < STORM_PROCS; i++) {
        child_start(&workers[i], root, STORM_EACH);
    }
    for (int i = 0; i < STORM_PROCS; i++) {
        while (read_line(workers[i].from_child, line, sizeof line) && strcmp(line, "ready") != 0) {
            made++;
        }
    }
    CHECK(made == STORM_TOTAL);
    if (overflow) {
        flood(root);
    }
    static tally t;
    memset(&t, 0, sizeof t);
    collect(watch, &t, OUTRIG_EVENT_FINALIZED, STORM_TOTAL);
    for (int i = 0; i < STORM_PROCS; i++) {
        child_send(&workers[i], 'r');
        CHECK(read_line(workers[i].from_child, line, sizeof line) && strcmp(line, "done") == 0);
    }
    if (overflow) {
        flood(root);
    }
    collect(watch, &t, OUTRIG_EVENT_REMOVED, STORM_TOTAL);
    outrig_event *extra = NULL;
    CHECK_OK(outrig_watch_next(watch, 100, &extra));
    CHECK(extra == NULL);
    outrig_event_free(extra);
    CHECK(t.sessions == STORM_TOTAL);
    CHECK(t.total == 3 * STORM_TOTAL);
    int exact = 0;
    for (int i = 0; i < t.sessions; i++) {
        exact += strcmp(t.order[i], "cfr") == 0;
    }
    CHECK(exact == STORM_TOTAL);
    for (int i = 0; i < STORM_PROCS; i++) {
        CHECK(child_end(&workers[i]) == 0);
    }
    outrig_watch_free(watch);
    outrig_store_free(store);
}

/* The descriptor: not readable while nothing happens, readable when a session appears. */
static void test_poll(const char *root) {
    outrig_store *store = open_quiet(root);
    make_dir(root);
    outrig_watch *watch = NULL;
    CHECK_OK(outrig_store_watch(store, &watch));
    int fd = -1;
    CHECK_OK(outrig_watch_fd(watch, &fd));
    CHECK(fd >= 0);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK(poll(&p, 1, 100) == 0);
    child a;
    child_start(&a, root, 0);
    outrig_event *e = NULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (e == NULL && seconds_since(&start) < 30) {
        CHECK(poll(&p, 1, 30000) == 1);
        CHECK_OK(outrig_watch_next(watch, 0, &e));
    }
    outrig_event_kind k = OUTRIG_EVENT_REMOVED;
    CHECK_OK(outrig_event_get_kind(e, &k));
    CHECK(k == OUTRIG_EVENT_CREATED);
    CHECK_STR(outrig_event_id(e), a.id);
    CHECK_STR(outrig_session_container_name(outrig_event_session(e)), "waited");
    outrig_event_free(e);
    child_send(&a, 'f');
    CHECK(child_end(&a) == 0);
    outrig_watch_free(watch);
    outrig_store_free(store);
}

static void test_arguments(const char *root) {
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(root, &store));
    outrig_wait_outcome outcome;
    int32_t code;
    outrig_watch *watch = NULL;
    outrig_event *event = NULL;
    outrig_event_kind kind;
    int fd;
    CHECK_STATUS(outrig_store_wait(NULL, "x", 0, &outcome, &code), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("store");
    CHECK_STATUS(outrig_store_wait(store, NULL, 0, &outcome, &code), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("id");
    CHECK_STATUS(outrig_store_wait(store, "x", 0, NULL, &code), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("out");
    CHECK_STATUS(outrig_store_wait(store, "\xff", 0, &outcome, &code),
                 OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("UTF-8");
    CHECK_STATUS(outrig_store_watch(NULL, &watch), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("store");
    CHECK_STATUS(outrig_store_watch(store, NULL), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("out");
    CHECK_STATUS(outrig_watch_next(NULL, 0, &event), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("watch");
    CHECK_STATUS(outrig_watch_fd(NULL, &fd), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(outrig_event_get_kind(NULL, &kind), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("event");
    CHECK(outrig_event_id(NULL) == NULL);
    CHECK(outrig_event_session(NULL) == NULL);
    outrig_watch_free(NULL);
    outrig_event_free(NULL);
    CHECK_OK(outrig_store_watch(store, &watch));
    CHECK_STATUS(outrig_watch_next(watch, 0, NULL), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(outrig_watch_fd(watch, NULL), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_OK(outrig_watch_next(watch, 0, &event));
    CHECK(event == NULL);
    outrig_watch_free(watch);
    CHECK_STR(outrig_event_kind_name(OUTRIG_EVENT_ABANDONED), "OUTRIG_EVENT_ABANDONED");
    CHECK_STR(outrig_event_kind_name((outrig_event_kind)99), "OUTRIG_UNKNOWN_EVENT");
    outrig_store_free(store);
}

void test_watch(void) {
    test_dir dir;
    test_dir_make(&dir);
    char root[4200];
    JOIN(root, dir.path, "root-wait");
    test_wait(root);
    JOIN(root, dir.path, "root-storm");
    test_storm(root, false);
    JOIN(root, dir.path, "root-overflow");
    test_storm(root, true);
    JOIN(root, dir.path, "root-poll");
    test_poll(root);
    JOIN(root, dir.path, "root-args");
    test_arguments(root);
    test_dir_cleanup(&dir);
}
