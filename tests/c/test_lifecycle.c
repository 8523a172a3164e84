/* Leases, states and clean across processes; the container probe (callbacks, and the default
 * engine probe driven by a fake `podman` on PATH); the exit-code helper.
 *
 * Each cross-process case forks a child that uses the library on its own (it opens its own
 * store) and talks to the parent through pipes. A child reports its own checks through its exit
 * status (0: all passed) and leaves with _exit, so it never runs the parent's main. Busy costs
 * the store's bounded wait (1 s) each time, so only three calls here are Busy. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- Probes ---- */

/* What a probe callback answers, and how often it was asked. */
typedef struct probe_answer {
    /* NULL: "cannot tell". Otherwise each name that starts with this prefix runs. */
    const char *running_prefix;
    int calls;
    size_t names_seen;
} probe_answer;

static bool probe_by_prefix(void *userdata, const char *const *names, size_t count,
                            bool *running) {
    probe_answer *answer = userdata;
    answer->calls++;
    answer->names_seen += count;
    if (answer->running_prefix == NULL) {
        return false;
    }
    size_t n = strlen(answer->running_prefix);
    for (size_t i = 0; i < count; i++) {
        if (running[i]) {
            return false; /* the library promised false on entry: make the test see it */
        }
        running[i] = strncmp(names[i], answer->running_prefix, n) == 0;
    }
    return true;
}

/* A store on `root` with the prefix probe answering from `answer`. */
static outrig_store *store_with_probe(const char *root, probe_answer *answer) {
    outrig_store *base = NULL, *store = NULL;
    CHECK_OK(outrig_store_open(root, &base));
    CHECK_OK(outrig_store_with_container_probe(base, probe_by_prefix, answer, &store));
    outrig_store_free(base); /* the new store does not depend on the one it was made from */
    return store;
}

static outrig_state state_of(const outrig_store *store, const char *id) {
    outrig_state state = (outrig_state)77;
    CHECK_OK(outrig_store_state(store, id, &state));
    return state;
}

#define CHECK_STATE(store, id, want) CHECK_STR(outrig_state_name(state_of((store), (id))), #want)

/* Creates a session and gives up its lease at once, unfinalized (as a crashed launcher); the
 * id is copied into `id` (at least 64 bytes). */
static void create_unleased(const outrig_store *store, const char *container, char *id) {
    outrig_session *s = create_basic(store, container);
    snprintf(id, 64, "%s", outrig_session_id(s));
    outrig_session_free(s);
}

static bool listing_has(const outrig_listing *listing, const char *id) {
    for (size_t i = 0; i < outrig_listing_len(listing); i++) {
        if (strcmp(outrig_session_id(outrig_listing_get(listing, i)), id) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- Children ---- */

/* A child that created a session and holds its lease, as a launcher does while its agent runs.
 * The parent writes 'f' to have it finalize with exit code 7 (it answers "done"), or closes
 * the pipe to have it free the session unfinalized; or kills it. */
typedef struct holder {
    pid_t pid;
    int to_child;
    int from_child;
    int parent_ends[2]; /* closed in the child, so it sees EOF when the parent closes */
    const char *root;
    const char *container;
    char id[64];
} holder;

static int holder_body(void *arg) {
    holder *h = arg;
    close(h->parent_ends[0]);
    close(h->parent_ends[1]);
    outrig_store *store = NULL;
    if (outrig_store_open(h->root, &store) != OUTRIG_OK) {
        return 3;
    }
    outrig_session *s = create_basic(store, h->container);
    if (s == NULL) {
        outrig_store_free(store);
        return 4;
    }
    char line[80];
    snprintf(line, sizeof line, "%s\n", outrig_session_id(s));
    write_all(h->from_child, line);
    char command = 0;
    ssize_t got;
    while ((got = read(h->to_child, &command, 1)) < 0 && errno == EINTR) {
    }
    int code = 0;
    if (got == 1 && command == 'f') {
        /* By id, as a launcher that kept only the id does: it goes through the lease. */
        code = outrig_store_finalize(store, outrig_session_id(s), 7) == OUTRIG_OK ? 0 : 5;
        if (outrig_session_lease_fd(s) != -1) {
            code = 6; /* finalizing by id ended the lease */
        }
        write_all(h->from_child, "done\n");
    }
    outrig_session_free(s);
    outrig_store_free(store);
    return code;
}

/* Starts a holder; on return its session exists and is leased, and h->id names it. */
static void holder_start(holder *h, const char *root, const char *container) {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) {
        perror("pipe");
        exit(2);
    }
    h->root = root;
    h->container = container;
    h->to_child = down[0];
    h->from_child = up[1];
    h->parent_ends[0] = down[1];
    h->parent_ends[1] = up[0];
    h->pid = fork_child(holder_body, h);
    close(down[0]);
    close(up[1]);
    h->to_child = down[1];
    h->from_child = up[0];
    CHECK(read_line(h->from_child, h->id, sizeof h->id));
}

static void holder_close(holder *h) {
    close(h->to_child);
    close(h->from_child);
}

/* A child holding a plain exclusive flock on a directory, the way `outrig run-new` holds its
 * session's, until the parent closes the pipe. */
typedef struct flocker {
    const char *dir;
    int to_child;
    int from_child;
    int parent_ends[2];
} flocker;

static int flocker_body(void *arg) {
    flocker *f = arg;
    close(f->parent_ends[0]);
    close(f->parent_ends[1]);
    int fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        return 3;
    }
    write_all(f->from_child, "locked\n");
    char c;
    while (read(f->to_child, &c, 1) < 0 && errno == EINTR) {
    }
    close(fd);
    return 0;
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* A Busy call returns within the store's bound (1 s), plus slack for a loaded machine and
 * valgrind. */
#define CHECK_BUSY_WITHIN_BOUND(expr)                                       \
    do {                                                                    \
        struct timespec start_;                                             \
        clock_gettime(CLOCK_MONOTONIC, &start_);                            \
        CHECK_STATUS((expr), OUTRIG_ERR_BUSY);                              \
        CHECK_LAST_ERROR("in use by a running launcher");                   \
        double took_ = seconds_since(&start_);                              \
        CHECK(took_ >= 0.5 && took_ < 10.0);                                \
    } while (0)

/* ---- Tests ---- */

/* A session another process leases: running to us, Busy to our finalize and remove; killed,
 * it is abandoned, and a clean with a zero cutoff removes it while keeping the session that a
 * live child leases; finalized by its holder it is finished with the holder's code. */
static void test_leases_across_processes(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    JOIN(root, tmp.path, "root");
    /* The probe answers, and no container here has a name with this prefix. */
    probe_answer nothing_runs = {.running_prefix = "no-such-container-"};
    outrig_store *store = store_with_probe(root, &nothing_runs);

    holder doomed, live;
    holder_start(&doomed, root, "doomed");
    holder_start(&live, root, "live");

    /* Leased elsewhere: running, whatever the probe says, and without asking it. */
    CHECK_STATE(store, doomed.id, OUTRIG_STATE_RUNNING);
    CHECK(nothing_runs.calls == 0);
    CHECK_BUSY_WITHIN_BOUND(outrig_store_finalize(store, doomed.id, 0));
    outrig_strings *kept = (outrig_strings *)&tmp;
    CHECK_BUSY_WITHIN_BOUND(outrig_store_remove(store, doomed.id, &kept));
    CHECK(kept == (outrig_strings *)&tmp);
    outrig_session *after = NULL;
    CHECK_OK(outrig_store_get(store, doomed.id, &after));
    CHECK(!outrig_session_ended_at(after, NULL)); /* the refused finalize wrote nothing */
    outrig_session_free(after);

    /* SIGKILL: the kernel drops the lease; nothing runs it, so it is abandoned. */
    kill(doomed.pid, SIGKILL);
    int status = wait_for(doomed.pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(outrig_exit_code_from_wait_status(status) == 137);
    holder_close(&doomed);
    CHECK_STATE(store, doomed.id, OUTRIG_STATE_ABANDONED);
    CHECK(nothing_runs.calls == 1);

    /* Both states from one listing, with one probe call for the one unleased session. */
    outrig_listing *listing = NULL;
    CHECK_OK(outrig_store_list(store, &listing));
    size_t n = outrig_listing_len(listing);
    CHECK(n == 2);
    outrig_state states[2] = {(outrig_state)77, (outrig_state)77};
    int calls_before = nothing_runs.calls;
    CHECK_OK(outrig_store_states(store, listing, states, n));
    CHECK(nothing_runs.calls == calls_before + 1);
    for (size_t i = 0; i < n && i < 2; i++) {
        const char *id = outrig_session_id(outrig_listing_get(listing, i));
        CHECK(states[i] == (strcmp(id, live.id) == 0 ? OUTRIG_STATE_RUNNING
                                                     : OUTRIG_STATE_ABANDONED));
    }
    outrig_listing_free(listing);

    /* Clean with a zero cutoff: the abandoned one goes, the live one is kept as running. */
    outrig_listing *removed = NULL, *kept_running = NULL, *kept_unknown = NULL;
    CHECK_OK(outrig_store_clean(store, 0, false, &removed, &kept_running, &kept_unknown));
    CHECK(outrig_listing_len(removed) == 1 && listing_has(removed, doomed.id));
    CHECK(outrig_listing_len(kept_running) == 1 && listing_has(kept_running, live.id));
    CHECK(outrig_listing_len(kept_unknown) == 0);
    outrig_listing_free(removed);
    outrig_listing_free(kept_running);
    outrig_listing_free(kept_unknown);
    char path[4096];
    CHECK(!path_exists(JOIN(path, root, doomed.id)));
    CHECK(path_exists(JOIN(path, root, live.id)));

    /* The live holder finalizes through its lease: finished, with its code, and unleased. */
    write_all(live.to_child, "f");
    char line[16];
    CHECK(read_line(live.from_child, line, sizeof line));
    CHECK_STR(line, "done");
    status = wait_for(live.pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    holder_close(&live);
    CHECK_STATE(store, live.id, OUTRIG_STATE_FINISHED);
    outrig_session *done = NULL;
    CHECK_OK(outrig_store_get(store, live.id, &done));
    int32_t code = -1;
    CHECK(outrig_session_exit_code(done, &code) && code == 7);
    outrig_session_free(done);
    CHECK_OK(outrig_store_remove(store, live.id, NULL));

    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

/* A session directory locked the way `outrig run-new` locks it: running, and Busy to our
 * writers; once the lock goes, they work. */
static void test_run_new_lock(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    JOIN(root, tmp.path, "root");
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(root, &store));
    outrig_store *no_probe = NULL;
    CHECK_OK(outrig_store_with_container_probe(store, NULL, NULL, &no_probe));
    char id[64];
    create_unleased(store, "run-new", id);
    /* No probe, no lease, not finalized: nobody can tell. */
    CHECK_STATE(no_probe, id, OUTRIG_STATE_UNKNOWN);

    char dir[4096];
    int down[2], up[2];
    CHECK(pipe(down) == 0 && pipe(up) == 0);
    flocker f = {.dir = JOIN(dir, root, id),
                 .to_child = down[0],
                 .from_child = up[1],
                 .parent_ends = {down[1], up[0]}};
    pid_t pid = fork_child(flocker_body, &f);
    close(down[0]);
    close(up[1]);
    char line[16];
    CHECK(read_line(up[0], line, sizeof line));
    CHECK_STR(line, "locked");

    CHECK_STATE(no_probe, id, OUTRIG_STATE_RUNNING);
    const char *names[] = {"side"};
    CHECK_BUSY_WITHIN_BOUND(outrig_store_set_sidecar_containers(store, id, names, 1));

    close(down[1]); /* the run ends */
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(up[0]);
    CHECK_OK(outrig_store_set_sidecar_containers(store, id, names, 1));
    CHECK_OK(outrig_store_finalize(store, id, 0));
    CHECK_STATE(no_probe, id, OUTRIG_STATE_FINISHED);

    outrig_store_free(no_probe);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

/* The probe callback: running, not running, cannot tell; one call per operation; sidecars
 * count; this process's own lease; clean_session by state. */
static void test_probe_callback(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    JOIN(root, tmp.path, "root");
    probe_answer answer = {.running_prefix = "up"};
    outrig_store *store = store_with_probe(root, &answer);

    char up[64], down[64], side[64];
    create_unleased(store, "up-agent", up);
    create_unleased(store, "down-agent", down);
    outrig_session *with_sidecar = create_basic(store, "down-main");
    const char *sidecars[] = {"up-sidecar"};
    CHECK_OK(outrig_store_set_sidecar_containers(store, outrig_session_id(with_sidecar),
                                                 sidecars, 1));
    snprintf(side, sizeof side, "%s", outrig_session_id(with_sidecar));
    outrig_session *mine = create_basic(store, "down-mine");

    /* This process's lease counts: running without a probe call. */
    CHECK_STATE(store, outrig_session_id(mine), OUTRIG_STATE_RUNNING);
    CHECK(answer.calls == 0);
    outrig_session_free(with_sidecar); /* its lease goes; its sidecar "runs" */

    CHECK_STATE(store, up, OUTRIG_STATE_RUNNING);
    CHECK_STATE(store, down, OUTRIG_STATE_ABANDONED);
    CHECK_STATE(store, side, OUTRIG_STATE_RUNNING);
    CHECK(answer.calls == 3);

    /* One listing, one call, with every unleased session's names (1 + 1 + 2: the agent and the sidecar of the third). */
    outrig_listing *listing = NULL;
    CHECK_OK(outrig_store_list(store, &listing));
    size_t n = outrig_listing_len(listing);
    CHECK(n == 4);
    outrig_state states[4];
    answer.calls = 0;
    answer.names_seen = 0;
    CHECK_OK(outrig_store_states(store, listing, states, n < 4 ? n : 4));
    CHECK(answer.calls == 1);
    CHECK(answer.names_seen == 4);
    for (size_t i = 0; i < n && i < 4; i++) {
        const char *id = outrig_session_id(outrig_listing_get(listing, i));
        outrig_state want = strcmp(id, down) == 0 ? OUTRIG_STATE_ABANDONED : OUTRIG_STATE_RUNNING;
        CHECK_STR(outrig_state_name(states[i]), outrig_state_name(want));
    }

    /* Cannot tell: unleased sessions are unknown; the leased one still runs. */
    answer.running_prefix = NULL;
    CHECK_OK(outrig_store_states(store, listing, states, n < 4 ? n : 4));
    for (size_t i = 0; i < n && i < 4; i++) {
        const char *id = outrig_session_id(outrig_listing_get(listing, i));
        outrig_state want = strcmp(id, outrig_session_id(mine)) == 0 ? OUTRIG_STATE_RUNNING
                                                                     : OUTRIG_STATE_UNKNOWN;
        CHECK_STR(outrig_state_name(states[i]), outrig_state_name(want));
    }
    outrig_listing_free(listing);

    /* clean_session: unknown is kept as unknown, even by an old-enough clean. */
    outrig_listing *removed = NULL, *kept_running = NULL, *kept_unknown = NULL;
    CHECK_OK(outrig_store_clean_session(store, down, false, &removed, &kept_running,
                                        &kept_unknown));
    CHECK(outrig_listing_len(removed) == 0 && outrig_listing_len(kept_running) == 0);
    CHECK(listing_has(kept_unknown, down) && outrig_listing_len(kept_unknown) == 1);
    outrig_listing_free(removed);
    outrig_listing_free(kept_running);
    outrig_listing_free(kept_unknown);
    char path[4096];
    CHECK(path_exists(JOIN(path, root, down)));

    /* Running (by container, and by this process's lease) is kept as running. */
    answer.running_prefix = "up";
    CHECK_OK(outrig_store_clean_session(store, up, false, NULL, &kept_running, NULL));
    CHECK(listing_has(kept_running, up));
    outrig_listing_free(kept_running);
    CHECK_OK(outrig_store_clean_session(store, outrig_session_id(mine), false, NULL,
                                        &kept_running, NULL));
    CHECK(listing_has(kept_running, outrig_session_id(mine)));
    outrig_listing_free(kept_running);

    /* Abandoned: a dry run reports it and keeps it; the real one removes it. */
    CHECK_OK(outrig_store_clean_session(store, down, true, &removed, NULL, NULL));
    CHECK(listing_has(removed, down));
    outrig_listing_free(removed);
    CHECK(path_exists(JOIN(path, root, down)));
    CHECK_OK(outrig_store_clean_session(store, down, false, &removed, NULL, NULL));
    CHECK(listing_has(removed, down));
    outrig_listing_free(removed);
    CHECK(!path_exists(JOIN(path, root, down)));
    CHECK_STATUS(outrig_store_clean_session(store, down, false, NULL, NULL, NULL),
                 OUTRIG_ERR_NOT_FOUND);

    /* Finished: removed whatever its age. */
    CHECK_OK(outrig_store_finalize(store, outrig_session_id(mine), 0));
    CHECK(outrig_session_lease_fd(mine) == -1);
    CHECK_OK(outrig_store_clean_session(store, outrig_session_id(mine), false, &removed, NULL,
                                        NULL));
    CHECK(listing_has(removed, outrig_session_id(mine)));
    outrig_listing_free(removed);

    outrig_session_free(mine);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

/* The default probe, driven by a fake `podman` on PATH. PATH is changed in a forked child
 * only, so the parent's environment (and its other tests) never see it. */
typedef struct fake_engine {
    const char *root;
    const char *bin;
    const char *up;
    const char *down;
    const char *answer; /* "running", "failing" or "garbage" */
} fake_engine;

static int fake_engine_body(void *arg) {
    fake_engine *e = arg;
    if (setenv("PATH", e->bin, 1) != 0) {
        return 3;
    }
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(e->root, &store));
    if (strcmp(e->answer, "running") == 0) {
        CHECK_STATE(store, e->up, OUTRIG_STATE_RUNNING);
        CHECK_STATE(store, e->down, OUTRIG_STATE_ABANDONED);
        /* Its container runs: a removal is refused, saying which. */
        CHECK_STATUS(outrig_store_remove(store, e->up, NULL), OUTRIG_ERR_BUSY);
        CHECK_LAST_ERROR("fake-up");
    } else {
        /* The engine fails, or answers something that is not a listing: it cannot tell, and
         * nothing is removed on that answer (fail closed), until the caller forces it. */
        CHECK_STATE(store, e->up, OUTRIG_STATE_UNKNOWN);
        CHECK_STATE(store, e->down, OUTRIG_STATE_UNKNOWN);
        CHECK_STATUS(outrig_store_remove(store, e->down, NULL), OUTRIG_ERR_BUSY);
        CHECK_LAST_ERROR("cannot tell");
        if (strcmp(e->answer, "failing") == 0) {
            CHECK_LAST_ERROR("daemon is down"); /* the engine's own words */
        } else {
            CHECK_LAST_ERROR("not a JSON container listing");
        }
        outrig_session *still = NULL;
        CHECK_OK(outrig_store_get(store, e->down, &still));
        outrig_session_free(still);
        outrig_listing *removed = NULL, *unknown = NULL;
        CHECK_OK(outrig_store_clean(store, 0, false, &removed, NULL, &unknown));
        CHECK(outrig_listing_len(removed) == 0 && outrig_listing_len(unknown) == 2);
        outrig_listing_free(removed);
        outrig_listing_free(unknown);
    }
    outrig_store_free(store);
    return 0;
}

static void write_script(const char *path, const char *body) {
    write_text(path, body);
    CHECK(chmod(path, 0755) == 0);
}

static void test_default_probe(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], bin[4096], podman[4096], log[4096];
    JOIN(root, tmp.path, "root");
    JOIN(bin, tmp.path, "bin");
    make_dir(bin);
    JOIN(podman, bin, "podman");
    JOIN(log, tmp.path, "asked");
    /* Answers like `podman ps -a --format json`, and notes each time it is asked. */
    char script[8192];
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "echo \"$*\" >> '%s'\n"
             "[ \"$1\" = ps ] || exit 3\n"
             "printf '[{\"Names\":[\"someone-else\"],\"State\":\"running\"},"
             "{\"Names\":[\"fake-up\"],\"State\":\"running\"},"
             "{\"Names\":[\"fake-down\"],\"State\":\"exited\"}]'\n",
             log);
    write_script(podman, script);

    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(root, &store));
    char up[64], down[64];
    create_unleased(store, "fake-up", up);
    create_unleased(store, "fake-down", down);

    fake_engine e = {.root = root, .bin = bin, .up = up, .down = down, .answer = "running"};
    int status = wait_for(fork_child(fake_engine_body, &e));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *asked = read_file(log, NULL);
    CHECK_CONTAINS(asked, "ps -a --format json");
    free(asked);

    write_script(podman, "#!/bin/sh\necho 'Error: the daemon is down' >&2\nexit 125\n");
    e.answer = "failing";
    status = wait_for(fork_child(fake_engine_body, &e));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    write_script(podman, "#!/bin/sh\necho fake-up\n");
    e.answer = "garbage";
    status = wait_for(fork_child(fake_engine_body, &e));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The override for a broken engine: no container check. */
    CHECK_OK(outrig_store_remove_forced(store, down, NULL));
    outrig_session *gone = NULL;
    CHECK_STATUS(outrig_store_get(store, down, &gone), OUTRIG_ERR_NOT_FOUND);

    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

/* outrig_store_clean_v2: what was removed and kept, no failure, and why the probe could not
 * tell when it could not. */
static void test_clean_v2(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    JOIN(root, tmp.path, "root");
    probe_answer blind = {.running_prefix = NULL};
    outrig_store *store = store_with_probe(root, &blind);
    char abandoned[64];
    create_unleased(store, "gone-agent", abandoned);
    outrig_session *done = create_basic(store, "done-agent");
    CHECK_OK(outrig_store_finalize(store, outrig_session_id(done), 0));

    /* The probe cannot tell: the unfinalized session is kept as unknown, with the reason; the
     * finished one (whose primary container the probe cannot vouch for either) too. */
    outrig_listing *removed = NULL, *running = NULL, *unknown = NULL, *failed = NULL;
    outrig_strings *messages = NULL;
    char *why = NULL;
    CHECK_OK(outrig_store_clean_v2(store, 0, false, &removed, &running, &unknown, &failed,
                                   &messages, &why));
    CHECK(outrig_listing_len(removed) == 0 && outrig_listing_len(running) == 0);
    CHECK(outrig_listing_len(unknown) == 2);
    CHECK(outrig_listing_len(failed) == 0 && outrig_strings_len(messages) == 0);
    CHECK_CONTAINS(why, "could not tell");
    outrig_listing_free(removed);
    outrig_listing_free(running);
    outrig_listing_free(unknown);
    outrig_listing_free(failed);
    outrig_strings_free(messages);
    outrig_string_free(why);

    /* The probe answers: both go, and the reason is NULL. */
    probe_answer nothing_runs = {.running_prefix = "no-such-container-"};
    outrig_store *answering = store_with_probe(root, &nothing_runs);
    why = (char *)"untouched";
    CHECK_OK(outrig_store_clean_v2(answering, 0, false, &removed, NULL, NULL, &failed, NULL,
                                   &why));
    CHECK(outrig_listing_len(removed) == 2 && outrig_listing_len(failed) == 0);
    CHECK(why == NULL);
    outrig_listing_free(removed);
    outrig_listing_free(failed);

    outrig_session_free(done);
    outrig_store_free(answering);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

/* outrig_store_clean_v2 when a removal fails: in a forked child as an unprivileged user
 * (permission bits do not stop root; tests/permissions.rs does the same for Rust), a finished
 * session whose directory is read-only cannot be removed. The clean still returns OUTRIG_OK,
 * removes the other, and lists that session with its message; the session stays intact. */
static int clean_v2_failure_child(void *arg) {
    (void)arg;
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
        perror("becoming nobody (65534)");
        return 3;
    }
    setenv("TMPDIR", "/tmp", 1); /* a directory this user may write in */
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], stuck_dir[4096], free_id[64], stuck_id[64];
    JOIN(root, tmp.path, "root");
    probe_answer nothing_runs = {.running_prefix = "no-such-container-"};
    outrig_store *store = store_with_probe(root, &nothing_runs);
    create_unleased(store, "free-agent", free_id);
    create_unleased(store, "stuck-agent", stuck_id);
    CHECK_OK(outrig_store_finalize(store, free_id, 0));
    CHECK_OK(outrig_store_finalize(store, stuck_id, 0));
    JOIN(stuck_dir, root, stuck_id);
    CHECK(chmod(stuck_dir, 0555) == 0);

    outrig_listing *removed = NULL, *failed = NULL;
    outrig_strings *messages = NULL;
    char *why = (char *)"untouched";
    CHECK_OK(outrig_store_clean_v2(store, 0, false, &removed, NULL, NULL, &failed, &messages,
                                   &why));
    CHECK(outrig_listing_len(removed) == 1 && listing_has(removed, free_id));
    CHECK(outrig_listing_len(failed) == 1 && listing_has(failed, stuck_id));
    CHECK(outrig_strings_len(messages) == 1);
    CHECK_CONTAINS(outrig_strings_get(messages, 0), stuck_dir);
    CHECK_CONTAINS(outrig_strings_get(messages, 0), "ermission denied");
    CHECK_CONTAINS(outrig_strings_get(messages, 0), "check its permissions");
    CHECK(why == NULL); /* the probe answered */
    outrig_listing_free(removed);
    outrig_listing_free(failed);
    outrig_strings_free(messages);
    outrig_session *still = NULL;
    CHECK_OK(outrig_store_get(store, stuck_id, &still)); /* intact: the removal can be retried */
    outrig_session_free(still);
    CHECK_STATUS(outrig_store_get(store, free_id, &still), OUTRIG_ERR_NOT_FOUND);

    /* The first clean returns that failure itself; once the directory is writable, it goes. */
    CHECK_STATUS(outrig_store_clean(store, 0, false, &removed, NULL, NULL), OUTRIG_ERR_IO);
    CHECK(outrig_last_os_error() == EACCES);
    CHECK_LAST_ERROR(stuck_dir);
    CHECK(chmod(stuck_dir, 0755) == 0);
    CHECK_OK(outrig_store_clean_v2(store, 0, false, &removed, NULL, NULL, &failed, &messages,
                                   NULL));
    CHECK(outrig_listing_len(removed) == 1 && listing_has(removed, stuck_id));
    CHECK(outrig_listing_len(failed) == 0 && outrig_strings_len(messages) == 0);
    outrig_listing_free(removed);
    outrig_listing_free(failed);
    outrig_strings_free(messages);

    outrig_store_free(store);
    test_dir_cleanup(&tmp);
    return 0;
}

static void test_clean_v2_failures(void) {
    int status = wait_for(fork_child(clean_v2_failure_child, NULL));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A lease belongs to the process that took it: a forked child that frees its copy of the
 * handle, or finalizes or removes by id, touches neither the lock nor the record. */
typedef struct forked_copy {
    const outrig_store *store;
    outrig_session *handle;
    const char *id;
} forked_copy;

static int child_with_a_copy(void *arg) {
    forked_copy *f = arg;
    CHECK(outrig_session_lease_fd(f->handle) == -1); /* no lease in this process */
    CHECK_STATUS(outrig_store_finalize(f->store, f->id, 9), OUTRIG_ERR_BUSY);
    CHECK_STATUS(outrig_store_remove(f->store, f->id, NULL), OUTRIG_ERR_BUSY);
    CHECK_STATUS(outrig_store_remove_forced(f->store, f->id, NULL), OUTRIG_ERR_BUSY);
    /* By path too: forced skips the container check, never a lease another process holds. */
    CHECK_STATUS(outrig_store_remove_by_path_forced(
                     f->store, outrig_session_session_dir(f->handle), NULL),
                 OUTRIG_ERR_BUSY);
    CHECK_LAST_ERROR("running launcher");
    outrig_session_free(f->handle);
    return 0;
}

static void test_fork_child_cannot_end_the_lease(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    JOIN(root, tmp.path, "root");
    probe_answer nothing_runs = {.running_prefix = "no-such-container-"};
    outrig_store *store = store_with_probe(root, &nothing_runs);
    outrig_spec *spec = outrig_spec_new();
    CHECK_OK(outrig_spec_set_container_name(spec, "forked"));
    CHECK_OK(outrig_spec_set_image_tag(spec, "img:1"));
    CHECK_OK(outrig_spec_set_working_dir(spec, "/w"));
    outrig_session *mine = NULL;
    CHECK_OK(outrig_store_create(store, spec, &mine));
    char id[64];
    snprintf(id, sizeof id, "%s", outrig_session_id(mine));
    forked_copy f = {.store = store, .handle = mine, .id = id};
    int status = wait_for(fork_child(child_with_a_copy, &f));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Still leased here: running, and a clean keeps it. */
    CHECK(outrig_session_lease_fd(mine) >= 0);
    CHECK_STATE(store, id, OUTRIG_STATE_RUNNING);
    outrig_listing *removed = NULL;
    CHECK_OK(outrig_store_clean(store, 0, false, &removed, NULL, NULL));
    CHECK(outrig_listing_len(removed) == 0);
    outrig_listing_free(removed);
    CHECK_OK(outrig_store_finalize(store, id, 0));
    CHECK_STATE(store, id, OUTRIG_STATE_FINISHED);
    outrig_session_free(mine);
    outrig_spec_free(spec);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

/* Real wait statuses of children that exit or are killed, and the header's examples. */
static int exit_3(void *arg) {
    (void)arg;
    return 3;
}

static int killed_by_term(void *arg) {
    (void)arg;
    raise(SIGTERM);
    return 0;
}

static void test_exit_codes(void) {
    CHECK(outrig_exit_code_from_wait_status(wait_for(fork_child(exit_3, NULL))) == 3);
    int status = wait_for(fork_child(killed_by_term, NULL));
    CHECK(WIFSIGNALED(status));
    CHECK(outrig_exit_code_from_wait_status(status) == 143);
    /* Raw statuses as waitpid encodes them: code << 8, or the signal number. */
    CHECK(outrig_exit_code_from_wait_status(0) == 0);
    CHECK(outrig_exit_code_from_wait_status(1 << 8) == 1);
    CHECK(outrig_exit_code_from_wait_status(255 << 8) == 255);
    CHECK(outrig_exit_code_from_wait_status(SIGHUP) == 129);
    CHECK(outrig_exit_code_from_wait_status(SIGINT) == 130);
    CHECK(outrig_exit_code_from_wait_status(SIGKILL | 0x80) == 137); /* core dumped */
}

static void test_state_names(void) {
    CHECK_STR(outrig_state_name(OUTRIG_STATE_RUNNING), "OUTRIG_STATE_RUNNING");
    CHECK_STR(outrig_state_name(OUTRIG_STATE_FINISHED), "OUTRIG_STATE_FINISHED");
    CHECK_STR(outrig_state_name(OUTRIG_STATE_ABANDONED), "OUTRIG_STATE_ABANDONED");
    CHECK_STR(outrig_state_name(OUTRIG_STATE_UNKNOWN), "OUTRIG_STATE_UNKNOWN");
    CHECK(OUTRIG_STATE_RUNNING == 0 && OUTRIG_STATE_UNKNOWN == 3); /* stable numbers */
    CHECK_STR(outrig_state_name((outrig_state)4), "OUTRIG_UNKNOWN_STATE");
    CHECK_STR(outrig_state_name((outrig_state)-1), "OUTRIG_UNKNOWN_STATE");
}

void test_lifecycle(void) {
    test_state_names();
    test_exit_codes();
    test_probe_callback();
    test_default_probe();
    test_run_new_lock();
    test_leases_across_processes();
    test_fork_child_cannot_end_the_lease();
    test_clean_v2();
    test_clean_v2_failures();
}
