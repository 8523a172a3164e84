/* Opening stores, the store operations, and every error status they return. */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Saves an environment variable and restores it later. */
typedef struct saved_env {
    const char *name;
    char *value;
} saved_env;

static saved_env env_save(const char *name) {
    const char *v = getenv(name);
    saved_env s = {name, NULL};
    if (v) {
        size_t n = strlen(v) + 1;
        s.value = malloc(n);
        memcpy(s.value, v, n);
    }
    return s;
}

static void env_restore(saved_env *s) {
    if (s->value) {
        setenv(s->name, s->value, 1);
        free(s->value);
        s->value = NULL;
    } else {
        unsetenv(s->name);
    }
}

static void check_root(outrig_store *store, const char *want) {
    CHECK_STR(outrig_store_root(store), want);
    outrig_store_free(store);
}

void test_store_open(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], buf[4096], cfg[4096];

    /* An explicit root, which need not exist and is not created by opening. */
    outrig_store *store = NULL;
    JOIN(root, tmp.path, "root");
    CHECK_OK(outrig_store_open(root, &store));
    CHECK(store != NULL);
    CHECK(!path_exists(root));
    check_root(store, root);

    /* A relative root is taken against the current directory, once. */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    store = NULL;
    CHECK_OK(outrig_store_open("rel/root", &store));
    check_root(store, JOIN(buf, cwd, "rel/root"));

    /* NULL: outrig's own root, through the global config and then the XDG default. */
    saved_env saved[] = {env_save("XDG_CONFIG_HOME"), env_save("XDG_DATA_HOME"),
                         env_save("HOME")};
    JOIN(cfg, tmp.path, "cfg");
    make_dir(cfg);
    make_dir(JOIN(buf, cfg, "outrig"));
    write_text(JOIN(buf, cfg, "outrig/config.toml"), "session-root = \"from-config\"\n");
    setenv("XDG_CONFIG_HOME", cfg, 1);
    JOIN(buf, tmp.path, "data");
    setenv("XDG_DATA_HOME", buf, 1);
    store = NULL;
    CHECK_OK(outrig_store_open(NULL, &store));
    check_root(store, JOIN(buf, cfg, "outrig/from-config"));
    store = NULL;
    CHECK_OK(outrig_store_open_resolved(NULL, NULL, &store));
    check_root(store, JOIN(buf, cfg, "outrig/from-config"));
    unlink(JOIN(buf, cfg, "outrig/config.toml"));
    store = NULL;
    CHECK_OK(outrig_store_open(NULL, &store));
    check_root(store, JOIN(buf, tmp.path, "data/outrig/sessions"));
    /* No XDG variables: the home directory's defaults. */
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", tmp.path, 1);
    store = NULL;
    CHECK_OK(outrig_store_open(NULL, &store));
    check_root(store, JOIN(buf, tmp.path, ".local/share/outrig/sessions"));
    /* An explicit root is used as it is, whatever the environment says. */
    store = NULL;
    CHECK_OK(outrig_store_open_resolved(root, NULL, &store));
    check_root(store, root);
    for (size_t i = 0; i < sizeof saved / sizeof saved[0]; i++) {
        env_restore(&saved[i]);
    }

    /* A named config file: its session-root, relative to the file, `~` as the home. */
    JOIN(cfg, tmp.path, "named.toml");
    write_text(cfg, "session-root = \"/srv/outrig-sessions\"\n");
    store = NULL;
    CHECK_OK(outrig_store_open_resolved(NULL, cfg, &store));
    check_root(store, "/srv/outrig-sessions");
    write_text(cfg, "other = 1\nsession-root = \"nearby\"\n");
    store = NULL;
    CHECK_OK(outrig_store_open_resolved(NULL, cfg, &store));
    check_root(store, JOIN(buf, tmp.path, "nearby"));
    /* The explicit root wins over the config. */
    store = NULL;
    CHECK_OK(outrig_store_open_resolved(root, cfg, &store));
    check_root(store, root);
    /* A malformed config is a config error naming the file. */
    write_text(cfg, "session-root = [");
    store = NULL;
    CHECK_STATUS(outrig_store_open_resolved(NULL, cfg, &store), OUTRIG_ERR_CONFIG);
    CHECK(store == NULL);
    CHECK_LAST_ERROR(cfg);
    write_text(cfg, "session-root = 3\n");
    CHECK_STATUS(outrig_store_open_resolved(NULL, cfg, &store), OUTRIG_ERR_CONFIG);
    CHECK_LAST_ERROR("session-root");
    /* A named config that does not exist is a config error naming it (only the default
     * location may be absent); with an explicit root no config is read. */
    JOIN(buf, tmp.path, "missing.toml");
    CHECK_STATUS(outrig_store_open_resolved(NULL, buf, &store), OUTRIG_ERR_CONFIG);
    CHECK(store == NULL);
    CHECK_LAST_ERROR("does not exist");
    CHECK_LAST_ERROR(buf);
    store = NULL;
    CHECK_OK(outrig_store_open_resolved(root, buf, &store));
    check_root(store, root);
    /* An empty session-root is the config file's own directory, as in outrig. */
    write_text(cfg, "session-root = \"\"\n");
    store = NULL;
    CHECK_OK(outrig_store_open_resolved(NULL, cfg, &store));
    check_root(store, tmp.path);
    store = NULL;
    /* An unreadable config (a directory) is a config error with the errno. */
    CHECK_STATUS(outrig_store_open_resolved(NULL, tmp.path, &store), OUTRIG_ERR_CONFIG);
    CHECK(outrig_last_os_error() == EISDIR);
    CHECK(store == NULL);
    /* An empty root is refused. */
    CHECK_STATUS(outrig_store_open("", &store), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(outrig_store_open_resolved("", NULL, &store), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK(store == NULL);

    test_dir_cleanup(&tmp);
}

static char *session_json(const outrig_session *s) {
    char *json = outrig_session_to_json(s);
    CHECK(json != NULL);
    return json;
}

void test_store_ops(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], buf[4096], buf2[4096];
    JOIN(root, tmp.path, "root");
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(root, &store));

    /* Create an auto session with every field. */
    outrig_spec *spec = basic_spec("outrig-demo");
    CHECK_OK(outrig_spec_set_image_config_name(spec, "coding"));
    CHECK_OK(outrig_spec_set_agent_name(spec, "coder"));
    CHECK_OK(outrig_spec_add_sidecar_container(spec, "proxy"));
    CHECK_OK(outrig_spec_set_started_at(spec, INT64_C(1777643052500000000)));
    outrig_session *made = NULL;
    CHECK_OK(outrig_store_create(store, spec, &made));
    outrig_spec_free(spec);
    CHECK(made != NULL);
    const char *id = outrig_session_id(made);
    CHECK(id != NULL && strlen(id) == 20 && id[8] == 'T' && id[15] == '-');
    /* The id is the time of the create, not the recorded start. */
    CHECK(strncmp(id, "20260501T134412", 15) != 0);
    char entry_want[4096];
    JOIN(entry_want, root, id);
    CHECK_STR(outrig_session_session_dir(made), entry_want);
    CHECK(outrig_session_link_target(made) == NULL);
    char *entry = NULL;
    CHECK_OK(outrig_store_entry_path(store, id, &entry));
    CHECK_STR(entry, entry_want);
    outrig_string_free(entry);

    /* The file on disk holds exactly the bytes of the record. */
    size_t len = 0;
    char *on_disk = read_file(JOIN(buf, entry_want, "session.json"), &len);
    char *json = session_json(made);
    CHECK_STR(on_disk, json);
    CHECK(on_disk && len == strlen(on_disk));
    CHECK(on_disk && on_disk[len - 1] == '}'); /* no trailing newline */
    CHECK_CONTAINS(json, "\"started_at\": \"2026-05-01T13:44:12.5Z\"");
    CHECK_CONTAINS(json, "\"sidecar_container_names\": [\n    \"proxy\"\n  ]");
    free(on_disk);

    /* get and get_by_path read it back. */
    outrig_session *got = NULL;
    CHECK_OK(outrig_store_get(store, id, &got));
    char *got_json = session_json(got);
    CHECK_STR(got_json, json);
    outrig_string_free(got_json);
    outrig_session_free(got);
    got = NULL;
    CHECK_OK(outrig_store_get_by_path(store, entry_want, &got));
    got_json = session_json(got);
    CHECK_STR(got_json, json);
    outrig_string_free(got_json);
    outrig_session_free(got);
    outrig_string_free(json);

    /* Sidecars are replaced; an empty list removes the field. */
    const char *names[] = {"proxy", "db"};
    CHECK_OK(outrig_store_set_sidecar_containers(store, id, names, 2));
    CHECK_OK(outrig_store_get(store, id, &got));
    CHECK(outrig_session_sidecar_count(got) == 2);
    CHECK_STR(outrig_session_sidecar(got, 0), "proxy");
    CHECK_STR(outrig_session_sidecar(got, 1), "db");
    outrig_session_free(got);
    CHECK_OK(outrig_store_set_sidecar_containers(store, id, NULL, 0));
    CHECK_OK(outrig_store_get(store, id, &got));
    CHECK(outrig_session_sidecar_count(got) == 0);
    json = session_json(got);
    CHECK(json && strstr(json, "sidecar_container_names") == NULL);
    outrig_string_free(json);
    outrig_session_free(got);

    /* finalize_at records the given end; finalize records now; both keep the rest. */
    int64_t ended = INT64_C(1777643052500000000) + INT64_C(44) * 1000000000;
    CHECK_OK(outrig_store_finalize_at(store, id, ended, 3));
    CHECK_OK(outrig_store_get(store, id, &got));
    int64_t end = 0;
    int32_t code = 0;
    uint64_t took = 0;
    CHECK(outrig_session_ended_at(got, &end) && end == ended);
    CHECK(outrig_session_exit_code(got, &code) && code == 3);
    CHECK(outrig_session_duration(got, &took) && took == UINT64_C(44000000000));
    CHECK_STR(outrig_session_agent_name(got), "coder");
    outrig_session_free(got);
    int64_t before = now_ns();
    CHECK_OK(outrig_store_finalize(store, id, -1));
    int64_t after = now_ns();
    CHECK_OK(outrig_store_get(store, id, &got));
    CHECK(outrig_session_ended_at(got, &end) && end >= before && end <= after);
    CHECK(outrig_session_exit_code(got, &code) && code == -1);
    outrig_session_free(got);

    /* An explicit session: the record in its directory, a link under the root. */
    char explicit_dir[4096];
    JOIN(explicit_dir, tmp.path, "explicit/nested");
    spec = basic_spec("outrig-explicit");
    CHECK_OK(outrig_spec_set_session_dir(spec, explicit_dir));
    outrig_session *ex = NULL;
    CHECK_OK(outrig_store_create(store, spec, &ex));
    outrig_spec_free(spec);
    char canonical[PATH_MAX];
    CHECK(realpath(explicit_dir, canonical) != NULL);
    CHECK_STR(outrig_session_session_dir(ex), canonical);
    CHECK_STR(outrig_session_link_target(ex), canonical);
    CHECK(path_exists(JOIN(buf, canonical, "session.json")));
    struct stat st;
    CHECK(lstat(JOIN(buf, root, outrig_session_id(ex)), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK_OK(outrig_store_get(store, outrig_session_id(ex), &got));
    CHECK_STR(outrig_session_link_target(got), canonical);
    outrig_session_free(got);
    CHECK_OK(outrig_store_get_by_path(store, explicit_dir, &got));
    CHECK(outrig_session_link_target(got) == NULL);
    CHECK_STR(outrig_session_id(got), outrig_session_id(ex));
    outrig_session_free(got);

    /* remove keeps what is not the store's and says so. */
    write_text(JOIN(buf, entry_want, "notes.txt"), "mine");
    char *log = NULL;
    CHECK_OK(outrig_store_log_path(store, id, "agent.log", &log));
    write_text(log, "log");
    outrig_string_free(log);
    outrig_strings *kept = NULL;
    CHECK_OK(outrig_store_remove(store, id, &kept));
    CHECK(outrig_strings_len(kept) == 1);
    CHECK_STR(outrig_strings_get(kept, 0), "notes.txt");
    outrig_strings_free(kept);
    CHECK(path_exists(JOIN(buf, entry_want, "notes.txt")));
    CHECK(!path_exists(JOIN(buf, entry_want, "session.json")));
    CHECK(!path_exists(JOIN(buf, entry_want, "logs")));
    CHECK_STATUS(outrig_store_get(store, id, &got), OUTRIG_ERR_NOT_FOUND);

    /* remove_by_path of the explicit session removes its directory and the root's link. */
    JOIN(buf2, root, outrig_session_id(ex));
    kept = NULL;
    CHECK_OK(outrig_store_remove_by_path(store, explicit_dir, &kept));
    CHECK(kept != NULL && outrig_strings_len(kept) == 0);
    outrig_strings_free(kept);
    CHECK(!path_exists(canonical));
    CHECK(!path_exists(buf2));
    outrig_session_free(ex);

    /* remove with no interest in what was kept. */
    outrig_session *plain = create_basic(store, "outrig-plain");
    JOIN(buf, root, outrig_session_id(plain));
    CHECK_OK(outrig_store_remove(store, outrig_session_id(plain), NULL));
    CHECK(!path_exists(buf));
    outrig_session_free(plain);

    outrig_session_free(made);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

/* In a forked child (the current directory belongs to the whole process): a relative working
 * directory is recorded absolute against the current directory, as in every face; from a
 * deleted current directory it is OUTRIG_ERR_IO, saying so, and nothing is made. */
static int relative_working_dir_child(void *arg) {
    const char *base = arg;
    char root[4096], work[4096], want[PATH_MAX + 64], real[PATH_MAX];
    JOIN(root, base, "wd-root");
    JOIN(work, base, "wd-work");
    make_dir(work);
    CHECK(chdir(work) == 0);
    CHECK(realpath(work, real) != NULL); /* what getcwd says, symlinks on the way resolved */
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(root, &store));
    const char *given[] = {"repo", "./a/./b/../c", "/home/me/./repo"};
    const char *tail[] = {"/repo", "/a/b/../c", NULL};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
        if (tail[i]) {
            snprintf(want, sizeof want, "%s%s", real, tail[i]);
        } else {
            snprintf(want, sizeof want, "%s", given[i]); /* absolute: exactly as given */
        }
        outrig_spec *spec = basic_spec("wd");
        CHECK_OK(outrig_spec_set_working_dir(spec, given[i]));
        outrig_session *made = NULL;
        CHECK_OK(outrig_store_create(store, spec, &made));
        outrig_spec_free(spec);
        CHECK_STR(outrig_session_working_dir(made), want);
        outrig_session *got = NULL;
        CHECK_OK(outrig_store_get(store, outrig_session_id(made), &got));
        CHECK_STR(outrig_session_working_dir(got), want);
        outrig_session_free(got);
        outrig_session_free(made);
    }
    outrig_listing *before = NULL;
    CHECK_OK(outrig_store_list(store, &before));

    CHECK(rmdir(work) == 0);
    outrig_spec *spec = basic_spec("wd-gone");
    CHECK_OK(outrig_spec_set_working_dir(spec, "repo"));
    outrig_session *out = NULL;
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_IO);
    CHECK(outrig_last_os_error() == ENOENT);
    CHECK_LAST_ERROR("the working_dir repo is relative");
    CHECK_LAST_ERROR("current directory");
    CHECK(out == NULL);
    outrig_spec_free(spec);
    outrig_listing *after = NULL;
    CHECK_OK(outrig_store_list(store, &after));
    CHECK(outrig_listing_len(after) == outrig_listing_len(before));
    outrig_listing_free(before);
    outrig_listing_free(after);
    outrig_store_free(store);
    return 0;
}

void test_store_errors(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], buf[4096], buf2[4096];
    JOIN(root, tmp.path, "root");
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(root, &store));

    /* A spec without a required value is refused and nothing is written. */
    outrig_spec *spec = outrig_spec_new();
    outrig_session *sentinel = (outrig_session *)&spec;
    outrig_session *out = sentinel;
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("container_name");
    CHECK_OK(outrig_spec_set_container_name(spec, "c"));
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("image_tag");
    CHECK_OK(outrig_spec_set_image_tag(spec, "t"));
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("working_dir");
    CHECK_OK(outrig_spec_set_working_dir(spec, "/w"));
    CHECK_OK(outrig_spec_add_sidecar_container(spec, ""));
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("sidecar");
    outrig_spec_free(spec);
    CHECK(out == sentinel);
    CHECK(!path_exists(root));

    outrig_session *s = create_basic(store, "outrig-errors");
    const char *id = outrig_session_id(s);

    /* Invalid ids and log names never reach the filesystem. */
    const char *bad_ids[] = {"", ".", "..", "../x", "a/b", "/etc", ".hidden", "a b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        char *path = (char *)bad_ids; /* sentinel */
        CHECK_STATUS(outrig_store_get(store, bad_ids[i], &out), OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR("invalid session id");
        CHECK_STATUS(outrig_store_finalize(store, bad_ids[i], 0), OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(outrig_store_finalize_at(store, bad_ids[i], 0, 0),
                     OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(outrig_store_set_sidecar_containers(store, bad_ids[i], NULL, 0),
                     OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(outrig_store_remove(store, bad_ids[i], NULL), OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(outrig_store_log_path(store, bad_ids[i], "a.log", &path),
                     OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(outrig_store_find_log(store, bad_ids[i], "a.log", &path),
                     OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(outrig_store_entry_path(store, bad_ids[i], &path),
                     OUTRIG_ERR_INVALID_ARGUMENT);
        outrig_logs *logs = NULL;
        CHECK_STATUS(outrig_store_logs(store, bad_ids[i], &logs), OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK(logs == NULL);
        CHECK(path == (char *)bad_ids);
    }
    CHECK(out == sentinel);
    const char *bad_logs[] = {"", "/abs", "../x", "a//b", "a/", "a/../b", ".hidden", "a\\b"};
    for (size_t i = 0; i < sizeof bad_logs / sizeof bad_logs[0]; i++) {
        char *path = NULL;
        CHECK_STATUS(outrig_store_log_path(store, id, bad_logs[i], &path),
                     OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR("invalid log name");
        CHECK_STATUS(outrig_store_find_log(store, id, bad_logs[i], &path),
                     OUTRIG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR("invalid log name");
        CHECK(path == NULL);
    }
    /* None of that made the session a logs/ directory. */
    CHECK(!path_exists(outrig_session_logs_dir(s)));
    const char *empty_name[] = {"ok", ""};
    CHECK_STATUS(outrig_store_set_sidecar_containers(store, id, empty_name, 2),
                 OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(outrig_store_set_sidecar_containers(store, id, NULL, 1),
                 OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("`names`");
    const char *null_name[] = {"ok", NULL};
    CHECK_STATUS(outrig_store_set_sidecar_containers(store, id, null_name, 2),
                 OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("`names[1]`");
    outrig_listing *removed = NULL;
    CHECK_STATUS(outrig_store_clean(store, -1, true, &removed, NULL, NULL), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("older_than_seconds");
    CHECK(removed == NULL);

    /* Not found: a valid id with no session, a directory with no record. */
    const char *missing = "20260101T000000-beef";
    CHECK_STATUS(outrig_store_get(store, missing, &out), OUTRIG_ERR_NOT_FOUND);
    CHECK_LAST_ERROR(missing);
    CHECK_STATUS(outrig_store_finalize(store, missing, 0), OUTRIG_ERR_NOT_FOUND);
    CHECK_STATUS(outrig_store_finalize_at(store, missing, 0, 0), OUTRIG_ERR_NOT_FOUND);
    CHECK_STATUS(outrig_store_set_sidecar_containers(store, missing, NULL, 0),
                 OUTRIG_ERR_NOT_FOUND);
    CHECK_STATUS(outrig_store_remove(store, missing, NULL), OUTRIG_ERR_NOT_FOUND);
    char *path = NULL;
    CHECK_STATUS(outrig_store_log_path(store, missing, "a.log", &path), OUTRIG_ERR_NOT_FOUND);
    CHECK_STATUS(outrig_store_find_log(store, missing, "a.log", &path), OUTRIG_ERR_NOT_FOUND);
    CHECK_LAST_ERROR(missing);
    outrig_logs *logs = NULL;
    CHECK_STATUS(outrig_store_logs(store, missing, &logs), OUTRIG_ERR_NOT_FOUND);
    CHECK(path == NULL && logs == NULL);
    CHECK_STATUS(outrig_store_get_by_path(store, tmp.path, &out), OUTRIG_ERR_NOT_FOUND);
    CHECK_LAST_ERROR(tmp.path);
    CHECK_STATUS(outrig_store_remove_by_path(store, tmp.path, NULL), OUTRIG_ERR_NOT_FOUND);
    CHECK(out == sentinel);
    /* entry_path needs no session. */
    CHECK_OK(outrig_store_entry_path(store, missing, &path));
    CHECK_STR(path, JOIN(buf, root, missing));
    outrig_string_free(path);
    path = NULL;

    /* Already exists: the explicit directory's path is a dangling symlink. */
    JOIN(buf, tmp.path, "dangling");
    CHECK(symlink("/nonexistent/outrig-target", buf) == 0);
    spec = basic_spec("c");
    CHECK_OK(outrig_spec_set_session_dir(spec, buf));
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_ALREADY_EXISTS);
    CHECK(outrig_last_os_error() == EEXIST);
    CHECK_LAST_ERROR(buf);
    outrig_spec_free(spec);

    /* Directory not usable: not empty, holds a record, not a directory, inside the root. */
    JOIN(buf, tmp.path, "full");
    make_dir(buf);
    write_text(JOIN(buf2, buf, ".dotfile"), "x");
    spec = basic_spec("c");
    CHECK_OK(outrig_spec_set_session_dir(spec, buf));
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("not empty");
    unlink(buf2);
    outrig_session *first = NULL;
    CHECK_OK(outrig_store_create(store, spec, &first));
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("earlier session");
    outrig_session_free(first);
    JOIN(buf, tmp.path, "a-file");
    write_text(buf, "x");
    CHECK_OK(outrig_spec_set_session_dir(spec, buf));
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_OK(outrig_spec_set_session_dir(spec, JOIN(buf, root, "inside")));
    CHECK_STATUS(outrig_store_create(store, spec, &out), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("inside the session root");
    outrig_spec_free(spec);
    /* ... and a log name taken by a directory, or a logs/ that is a symlink. */
    CHECK_OK(outrig_store_log_path(store, id, "sub/x.log", &path));
    outrig_string_free(path);
    path = NULL;
    CHECK_STATUS(outrig_store_log_path(store, id, "sub", &path), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK(path == NULL);
    CHECK_STATUS(outrig_store_find_log(store, id, "sub", &path), OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("not a regular file");
    CHECK(path == NULL);
    outrig_session *linked = create_basic(store, "linked-logs");
    JOIN(buf, outrig_session_session_dir(linked), "logs");
    CHECK(symlink(tmp.path, buf) == 0);
    CHECK_STATUS(outrig_store_log_path(store, outrig_session_id(linked), "a.log", &path),
                 OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK(path == NULL);
    /* find_log follows no symlinked logs/ either, even to a file that is there. */
    write_text(JOIN(buf2, tmp.path, "a.log"), "outside");
    CHECK_STATUS(outrig_store_find_log(store, outrig_session_id(linked), "a.log", &path),
                 OUTRIG_ERR_DIR_NOT_USABLE);
    CHECK_LAST_ERROR("not a real directory");
    CHECK(path == NULL);
    outrig_session_free(linked);
    CHECK(out == sentinel);

    /* Corrupt record: reading fails, finalize leaves it alone, removal by id still works. */
    JOIN(buf, root, "20260101T000000-0bad");
    make_dir(buf);
    write_text(JOIN(buf2, buf, "session.json"), "{\"id\": \"20260101T000000-0bad\",");
    CHECK_STATUS(outrig_store_get(store, "20260101T000000-0bad", &out),
                 OUTRIG_ERR_CORRUPT_RECORD);
    CHECK_LAST_ERROR(buf2);
    CHECK_STATUS(outrig_store_get_by_path(store, buf, &out), OUTRIG_ERR_CORRUPT_RECORD);
    CHECK_STATUS(outrig_store_finalize(store, "20260101T000000-0bad", 0),
                 OUTRIG_ERR_CORRUPT_RECORD);
    char *still = read_file(buf2, NULL);
    CHECK_STR(still, "{\"id\": \"20260101T000000-0bad\",");
    free(still);
    CHECK_STATUS(outrig_store_remove_by_path(store, buf, NULL), OUTRIG_ERR_CORRUPT_RECORD);
    CHECK_OK(outrig_store_remove(store, "20260101T000000-0bad", NULL));
    CHECK(!path_exists(buf));
    CHECK(out == sentinel);

    /* I/O: a root that is a regular file cannot be listed or created in. */
    JOIN(buf, tmp.path, "file-root");
    write_text(buf, "not a directory");
    outrig_store *file_store = NULL;
    CHECK_OK(outrig_store_open(buf, &file_store));
    outrig_listing *listing = NULL;
    CHECK_STATUS(outrig_store_list(file_store, &listing), OUTRIG_ERR_IO);
    CHECK(outrig_last_os_error() == ENOTDIR);
    CHECK_LAST_ERROR(buf);
    CHECK(listing == NULL);
    spec = basic_spec("c");
    CHECK_STATUS(outrig_store_create(file_store, spec, &out), OUTRIG_ERR_IO);
    CHECK_LAST_ERROR(buf);
    CHECK_STATUS(outrig_store_clean(file_store, 0, false, &removed, NULL, NULL), OUTRIG_ERR_IO);
    CHECK(removed == NULL);
    outrig_spec_free(spec);
    outrig_store_free(file_store);
    CHECK(out == sentinel);

    /* A missing root lists as empty. */
    outrig_store *empty = NULL;
    CHECK_OK(outrig_store_open(JOIN(buf, tmp.path, "no-such-root"), &empty));
    CHECK_OK(outrig_store_list(empty, &listing));
    CHECK(outrig_listing_len(listing) == 0 && outrig_listing_skipped_len(listing) == 0);
    outrig_listing_free(listing);
    outrig_store_free(empty);

    int status = wait_for(fork_child(relative_working_dir_child, tmp.path));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    outrig_session_free(s);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}
