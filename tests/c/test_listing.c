/* Listings, skipped entries, log files and clean. */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD(id)                                                                         \
    "{\"id\": \"" id "\", \"started_at\": \"2026-05-01T13:44:12Z\", \"container_name\": "  \
    "\"c\", \"image_tag\": \"t\", \"working_dir\": \"/w\", \"session_dir\": \"/s\"}"

static void place(const char *root, const char *entry, const char *record) {
    char dir[4096], file[4096];
    JOIN(dir, root, entry);
    make_dir(dir);
    if (record) {
        write_text(JOIN(file, dir, "session.json"), record);
    }
}

/* Every getter of `a` and `b` answers alike (strings, NULs refused, times, sidecars, JSON). */
static void check_same_session(const outrig_session *a, const outrig_session *b) {
    const char *(*getters[])(const outrig_session *) = {
        outrig_session_id,          outrig_session_container_name,
        outrig_session_image_tag,   outrig_session_image_config_name,
        outrig_session_agent_name,  outrig_session_working_dir,
        outrig_session_session_dir, outrig_session_logs_dir,
    };
    for (size_t i = 0; i < sizeof getters / sizeof getters[0]; i++) {
        const char *x = getters[i](a), *y = getters[i](b);
        CHECK((x == NULL) == (y == NULL));
        if (x && y) {
            CHECK_STR(x, y);
        }
    }
    CHECK(outrig_session_started_at(a) == outrig_session_started_at(b));
    int64_t ea = 0, eb = 0;
    CHECK(outrig_session_ended_at(a, &ea) == outrig_session_ended_at(b, &eb) && ea == eb);
    int32_t ca = 0, cb = 0;
    CHECK(outrig_session_exit_code(a, &ca) == outrig_session_exit_code(b, &cb) && ca == cb);
    CHECK(outrig_session_sidecar_count(a) == outrig_session_sidecar_count(b));
    for (size_t i = 0; i <= outrig_session_sidecar_count(a); i++) {
        const char *x = outrig_session_sidecar(a, i), *y = outrig_session_sidecar(b, i);
        CHECK((x == NULL) == (y == NULL));
        if (x && y) {
            CHECK_STR(x, y);
        }
    }
    char *ja = outrig_session_to_json(a), *jb = outrig_session_to_json(b);
    CHECK_STR(ja, jb);
    outrig_string_free(ja);
    outrig_string_free(jb);
}

/* A listed session reads as the same record read by path: NULs in texts (and so in the logs
 * directory), the old name of
 * the image configuration, sidecars, an unknown field, an end and an exit code. */
static void test_listed_records_read_as_got(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], dir[4096];
    JOIN(root, tmp.path, "root");
    make_dir(root);
    place(root, "20260501T134412-0001",
          "{\"id\": \"20260501T134412-0001\", \"started_at\": \"2026-05-01T13:44:12.5Z\", "
          "\"ended_at\": \"2026-05-01T13:50:00Z\", \"container_name\": \"c\", "
          "\"sidecar_container_names\": [\"side-a\", \"side\\u0000b\"], \"image_tag\": \"t\", "
          "\"container_config_name\": \"legacy\", \"agent_name\": \"a\\u0000b\", "
          "\"working_dir\": \"/w\", \"session_dir\": \"/s\\u0000d\", \"exit_code\": 3, "
          "\"later\": {\"kept\": [1, 2]}}");
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(root, &store));
    outrig_listing *listing = NULL;
    CHECK_OK(outrig_store_list(store, &listing));
    CHECK(outrig_listing_len(listing) == 1);
    const outrig_session *listed = outrig_listing_get(listing, 0);
    outrig_session *got = NULL;
    CHECK_OK(outrig_store_get_by_path(store, JOIN(dir, root, "20260501T134412-0001"), &got));
    check_same_session(listed, got);
    CHECK_STR(outrig_session_image_config_name(listed), "legacy");
    CHECK(outrig_session_agent_name(listed) == NULL);
    CHECK_LAST_ERROR("agent_name");
    CHECK_LAST_ERROR("20260501T134412-0001");
    CHECK(outrig_session_session_dir(listed) == NULL);
    CHECK_LAST_ERROR("session_dir");
    CHECK(outrig_session_logs_dir(listed) == NULL);
    CHECK_LAST_ERROR("logs directory of session 20260501T134412-0001 holds a NUL byte");
    CHECK_STR(outrig_session_sidecar(listed, 0), "side-a");
    CHECK(outrig_session_sidecar(listed, 1) == NULL);
    CHECK_LAST_ERROR("NUL byte");
    CHECK(outrig_session_sidecar(listed, 2) == NULL);
    CHECK_LAST_ERROR("index 2 is out of range: the sidecar list has 2 entries");
    char *json = outrig_session_to_json(listed);
    CHECK_CONTAINS(json, "\"later\": {\n    \"kept\": [\n      1,\n      2\n    ]\n  }");
    CHECK_CONTAINS(json, "\"image_config_name\": \"legacy\"");
    outrig_string_free(json);
    outrig_session_free(got);
    outrig_listing_free(listing);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

void test_listing(void) {
    test_listed_records_read_as_got();

    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], buf[4096];
    JOIN(root, tmp.path, "root");
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(root, &store));

    /* Three made here, one explicit, plus entries that are or are not sessions. */
    char ids[3][64];
    for (int i = 0; i < 3; i++) {
        outrig_session *s = create_basic(store, "listed");
        snprintf(ids[i], sizeof ids[i], "%s", outrig_session_id(s));
        outrig_session_free(s);
    }
    outrig_spec *spec = basic_spec("explicit");
    CHECK_OK(outrig_spec_set_session_dir(spec, JOIN(buf, tmp.path, "explicit")));
    outrig_session *ex = NULL;
    CHECK_OK(outrig_store_create(store, spec, &ex));
    outrig_spec_free(spec);
    place(root, "19990101T000000-0001", RECORD("19990101T000000-0001"));
    place(root, "29990101T000000-0bad", "{ not json");
    place(root, "29990101T000000-copy", RECORD("19990101T000000-0001")); /* id differs */
    place(root, ".hidden", RECORD(".hidden"));
    place(root, "no-record", NULL);
    write_text(JOIN(buf, root, "a-file"), "x");
    CHECK(symlink("/nonexistent/outrig-target", JOIN(buf, root, "dangling")) == 0);

    outrig_listing *listing = NULL;
    CHECK_OK(outrig_store_list(store, &listing));
    CHECK(outrig_listing_len(listing) == 5);
    /* Newest first, by start time and then id. */
    for (size_t i = 1; i < outrig_listing_len(listing); i++) {
        CHECK(listed_before(outrig_listing_get(listing, i - 1), outrig_listing_get(listing, i)));
    }
    CHECK_STR(outrig_session_id(outrig_listing_get(listing, 4)), "19990101T000000-0001");
    bool found[3] = {false, false, false};
    bool found_explicit = false;
    for (size_t i = 0; i < outrig_listing_len(listing); i++) {
        const outrig_session *s = outrig_listing_get(listing, i);
        for (int k = 0; k < 3; k++) {
            found[k] = found[k] || strcmp(outrig_session_id(s), ids[k]) == 0;
        }
        if (strcmp(outrig_session_id(s), outrig_session_id(ex)) == 0) {
            found_explicit = true;
            CHECK_STR(outrig_session_link_target(s), outrig_session_session_dir(ex));
        }
    }
    CHECK(found[0] && found[1] && found[2] && found_explicit);
    CHECK(outrig_listing_get(listing, 5) == NULL);
    CHECK_LAST_ERROR("index 5 is out of range");
    /* The two unreadable records are skipped, with reasons naming their files. */
    CHECK(outrig_listing_skipped_len(listing) == 2);
    CHECK_STR(outrig_listing_skipped_entry(listing, 0), "29990101T000000-copy");
    CHECK_CONTAINS(outrig_listing_skipped_reason(listing, 0), "differs from its entry name");
    CHECK_STR(outrig_listing_skipped_entry(listing, 1), "29990101T000000-0bad");
    CHECK_CONTAINS(outrig_listing_skipped_reason(listing, 1),
                   JOIN(buf, root, "29990101T000000-0bad/session.json"));
    CHECK(outrig_listing_skipped_entry(listing, 2) == NULL);
    CHECK_LAST_ERROR("out of range");
    CHECK(outrig_listing_skipped_reason(listing, 2) == NULL);
    CHECK_LAST_ERROR("out of range");
    /* A session from a listing outlives the store but not the listing. */
    outrig_store_free(store);
    CHECK_STR(outrig_session_container_name(outrig_listing_get(listing, 4)), "c");
    outrig_listing_free(listing);

    outrig_session_free(ex);
    test_dir_cleanup(&tmp);
}

/* The number of entries in `dir` (besides . and ..), -1 when it cannot be read. */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        return -1;
    }
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

void test_logs(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], buf[4096];
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(JOIN(root, tmp.path, "root"), &store));
    outrig_session *s = create_basic(store, "logged");
    const char *id = outrig_session_id(s);

    /* No logs/ yet: an empty list, and nothing created by asking. */
    outrig_logs *logs = NULL;
    CHECK_OK(outrig_store_logs(store, id, &logs));
    CHECK(outrig_logs_len(logs) == 0);
    CHECK(outrig_logs_name(logs, 0) == NULL);
    CHECK_LAST_ERROR("index 0 is out of range");
    CHECK(outrig_logs_size(logs, 0) == 0);
    outrig_logs_free(logs);
    CHECK(!path_exists(outrig_session_logs_dir(s)));
    /* Nor by looking for a log: not found, out-pointer untouched, still no logs/. */
    char *found = (char *)&tmp; /* sentinel */
    CHECK_STATUS(outrig_store_find_log(store, id, "agent.log", &found), OUTRIG_ERR_NOT_FOUND);
    CHECK_LAST_ERROR("agent.log");
    CHECK_STATUS(outrig_store_find_log(store, id, "tools/web.log", &found),
                 OUTRIG_ERR_NOT_FOUND);
    CHECK(found == (char *)&tmp);
    CHECK(!path_exists(outrig_session_logs_dir(s)));

    /* log_path makes logs/ and the subdirectories, not the file. */
    char *path = NULL;
    CHECK_OK(outrig_store_log_path(store, id, "tools/web.log", &path));
    CHECK_STR(path, JOIN(buf, outrig_session_logs_dir(s), "tools/web.log"));
    CHECK(!path_exists(path));
    write_text(path, "abc");
    outrig_string_free(path);
    CHECK_OK(outrig_store_log_path(store, id, "agent.log", &path));
    write_text(path, "hello");
    /* Asking again for an existing file is fine. */
    char *again = NULL;
    CHECK_OK(outrig_store_log_path(store, id, "agent.log", &again));
    CHECK_STR(again, path);
    outrig_string_free(again);
    outrig_string_free(path);
    CHECK_OK(outrig_store_log_path(store, id, "empty.log", &path));
    write_text(path, "");
    outrig_string_free(path);
    /* A symlink under logs/ is neither followed nor listed. */
    CHECK(symlink("/etc/passwd", JOIN(buf, outrig_session_logs_dir(s), "link.log")) == 0);

    /* find_log finds what log_path made, at the same path, and creates nothing. */
    const char *names[] = {"agent.log", "tools/web.log", "empty.log"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *made = NULL;
        found = NULL;
        CHECK_OK(outrig_store_log_path(store, id, names[i], &made));
        CHECK_OK(outrig_store_find_log(store, id, names[i], &found));
        CHECK_STR(found, made);
        outrig_string_free(found);
        outrig_string_free(made);
    }
    /* A missing log, or one under a missing directory: not found, nothing made on the way. */
    int in_logs = count_entries(outrig_session_logs_dir(s));
    int in_tools = count_entries(JOIN(buf, outrig_session_logs_dir(s), "tools"));
    CHECK(in_logs == 4 && in_tools == 1);
    found = (char *)&tmp;
    CHECK_STATUS(outrig_store_find_log(store, id, "missing.log", &found), OUTRIG_ERR_NOT_FOUND);
    CHECK_LAST_ERROR("missing.log");
    CHECK_STATUS(outrig_store_find_log(store, id, "tools/missing.log", &found),
                 OUTRIG_ERR_NOT_FOUND);
    CHECK_STATUS(outrig_store_find_log(store, id, "nope/deeper/x.log", &found),
                 OUTRIG_ERR_NOT_FOUND);
    /* The symlinked log is not followed, nor is a directory a log. */
    CHECK_STATUS(outrig_store_find_log(store, id, "link.log", &found), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("symbolic link");
    CHECK_STATUS(outrig_store_find_log(store, id, "tools", &found), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK(found == (char *)&tmp);
    CHECK(count_entries(outrig_session_logs_dir(s)) == in_logs);
    CHECK(count_entries(JOIN(buf, outrig_session_logs_dir(s), "tools")) == in_tools);
    CHECK(!path_exists(JOIN(buf, outrig_session_logs_dir(s), "nope")));

    CHECK_OK(outrig_store_logs(store, id, &logs));
    CHECK(outrig_logs_len(logs) == 3);
    CHECK_STR(outrig_logs_name(logs, 0), "agent.log");
    CHECK(outrig_logs_size(logs, 0) == 5);
    CHECK_STR(outrig_logs_name(logs, 1), "empty.log");
    CHECK(outrig_logs_size(logs, 1) == 0);
    CHECK_STR(outrig_logs_name(logs, 2), "tools/web.log");
    CHECK(outrig_logs_size(logs, 2) == 3);
    CHECK(outrig_logs_name(logs, 3) == NULL);
    CHECK(outrig_logs_size(logs, 3) == 0);
    CHECK_LAST_ERROR("index 3 is out of range");
    outrig_logs_free(logs);

    /* Log files by descriptor: appended to, read back, and the same file after a rename. */
    int fd = -1;
    CHECK_OK(outrig_store_append_log(store, id, "sub/fd.log", &fd));
    CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
    CHECK(write(fd, "one\n", 4) == 4);
    close(fd);
    CHECK_OK(outrig_store_append_log(store, id, "sub/fd.log", &fd));
    CHECK(write(fd, "two\n", 4) == 4);
    close(fd);
    CHECK_OK(outrig_store_read_log(store, id, "sub/fd.log", &fd));
    char text[16] = {0};
    CHECK(read(fd, text, sizeof text - 1) == 8);
    CHECK_STR(text, "one\ntwo\n");
    char from[4096], to[4096];
    JOIN(from, outrig_session_logs_dir(s), "sub/fd.log");
    JOIN(to, outrig_session_logs_dir(s), "sub/aside.log");
    CHECK(rename(from, to) == 0);
    CHECK(symlink("/etc/passwd", from) == 0);
    write_text(to, "three");
    memset(text, 0, sizeof text);
    CHECK(pread(fd, text, sizeof text - 1, 0) == 5);
    CHECK_STR(text, "three");
    close(fd);
    /* The planted link, a FIFO and a missing log are refused; descriptors untouched. */
    fd = -7;
    CHECK_STATUS(outrig_store_read_log(store, id, "sub/fd.log", &fd), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("symbolic link");
    CHECK_STATUS(outrig_store_append_log(store, id, "sub/fd.log", &fd),
                 OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK(mkfifo(JOIN(buf, outrig_session_logs_dir(s), "pipe.log"), 0600) == 0);
    CHECK_STATUS(outrig_store_read_log(store, id, "pipe.log", &fd), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("FIFO");
    CHECK_STATUS(outrig_store_append_log(store, id, "pipe.log", &fd), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("FIFO");
    CHECK_STATUS(outrig_store_read_log(store, id, "none.log", &fd), OUTRIG_ERR_NOT_FOUND);
    CHECK(fd == -7);

    outrig_session_free(s);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

static bool exists_id(const char *root, const char *id) {
    char buf[4096];
    return path_exists(JOIN(buf, root, id));
}

void test_clean(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(JOIN(root, tmp.path, "root"), &store));

    /* old: ended in 1970; recent: ended now; running: never ended. */
    outrig_session *old = create_basic(store, "old");
    outrig_session *recent = create_basic(store, "recent");
    outrig_session *running = create_basic(store, "running");
    CHECK_OK(outrig_store_finalize_at(store, outrig_session_id(old), INT64_C(1000) * 1000000000, 0));
    CHECK_OK(outrig_store_finalize(store, outrig_session_id(recent), 1));

    /* A dry run reports and removes nothing. */
    outrig_listing *removed = NULL;
    CHECK_OK(outrig_store_clean(store, 3600, true, &removed, NULL, NULL));
    CHECK(outrig_listing_len(removed) == 1);
    CHECK_STR(outrig_session_id(outrig_listing_get(removed, 0)), outrig_session_id(old));
    CHECK(outrig_listing_skipped_len(removed) == 0);
    outrig_listing_free(removed);
    CHECK(exists_id(root, outrig_session_id(old)));

    /* The real run removes only the old finalized one. */
    removed = NULL;
    CHECK_OK(outrig_store_clean(store, 3600, false, &removed, NULL, NULL));
    CHECK(outrig_listing_len(removed) == 1);
    outrig_listing_free(removed);
    CHECK(!exists_id(root, outrig_session_id(old)));
    CHECK(exists_id(root, outrig_session_id(recent)));
    CHECK(exists_id(root, outrig_session_id(running)));

    /* With a cutoff time in the future, every finalized session goes; NULL removed is fine. */
    CHECK_OK(outrig_store_clean_before(store, INT64_MAX, true, &removed, NULL, NULL));
    CHECK(outrig_listing_len(removed) == 1);
    CHECK_STR(outrig_session_id(outrig_listing_get(removed, 0)), outrig_session_id(recent));
    outrig_listing_free(removed);
    CHECK_OK(outrig_store_clean_before(store, INT64_MAX, false, NULL, NULL, NULL));
    CHECK(!exists_id(root, outrig_session_id(recent)));
    CHECK(exists_id(root, outrig_session_id(running)));
    /* An age of 0 keeps running sessions too. */
    CHECK_OK(outrig_store_clean(store, 0, false, NULL, NULL, NULL));
    CHECK(exists_id(root, outrig_session_id(running)));

    outrig_session_free(old);
    outrig_session_free(recent);
    outrig_session_free(running);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}
