/* Specs and the session getters. */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void test_spec(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(JOIN(root, tmp.path, "root"), &store));

    /* Setters copy their value and a later set replaces it; sidecars append in order. */
    outrig_spec *spec = outrig_spec_new();
    char name[] = "first-name";
    CHECK_OK(outrig_spec_set_container_name(spec, name));
    memcpy(name, "xxxxxxxxxx", 10); /* the spec holds its own copy */
    CHECK_OK(outrig_spec_set_image_tag(spec, "tag-1"));
    CHECK_OK(outrig_spec_set_image_tag(spec, "tag-2"));
    /* A relative working directory is recorded absolute, against the current directory. */
    CHECK_OK(outrig_spec_set_working_dir(spec, "relative/dir"));
    char cwd[4096], working_dir[4200];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(working_dir, sizeof working_dir, "%s/relative/dir", cwd);
    CHECK_OK(outrig_spec_set_agent_name(spec, "coder"));
    CHECK_OK(outrig_spec_set_image_config_name(spec, "coding"));
    CHECK_OK(outrig_spec_add_sidecar_container(spec, "one"));
    CHECK_OK(outrig_spec_add_sidecar_container(spec, "two"));
    CHECK_OK(outrig_spec_add_sidecar_container(spec, "three"));
    /* A start before the epoch is a valid time. */
    CHECK_OK(outrig_spec_set_started_at(spec, INT64_C(-315619200) * 1000000000));

    outrig_session *a = NULL, *b = NULL;
    CHECK_OK(outrig_store_create(store, spec, &a));
    /* The spec is unchanged by a create and can make another session. */
    CHECK_OK(outrig_store_create(store, spec, &b));
    outrig_spec_free(spec);
    CHECK(strcmp(outrig_session_id(a), outrig_session_id(b)) != 0);
    const outrig_session *both[] = {a, b};
    for (int i = 0; i < 2; i++) {
        const outrig_session *s = both[i];
        CHECK_STR(outrig_session_container_name(s), "first-name");
        CHECK_STR(outrig_session_image_tag(s), "tag-2");
        CHECK_STR(outrig_session_working_dir(s), working_dir);
        CHECK_STR(outrig_session_agent_name(s), "coder");
        CHECK_STR(outrig_session_image_config_name(s), "coding");
        CHECK(outrig_session_sidecar_count(s) == 3);
        CHECK_STR(outrig_session_sidecar(s, 0), "one");
        CHECK_STR(outrig_session_sidecar(s, 2), "three");
        CHECK(outrig_session_started_at(s) == INT64_C(-315619200) * 1000000000);
        char *json = outrig_session_to_json(s);
        CHECK_CONTAINS(json, "\"started_at\": \"1960-01-01T00:00:00Z\"");
        outrig_string_free(json);
    }
    outrig_session_free(a);
    outrig_session_free(b);

    /* Without set_started_at the start is the time of the create. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_REALTIME, &t0);
    outrig_session *now = create_basic(store, "now");
    clock_gettime(CLOCK_REALTIME, &t1);
    int64_t started = outrig_session_started_at(now);
    CHECK(started >= (int64_t)t0.tv_sec * 1000000000 + t0.tv_nsec);
    CHECK(started <= (int64_t)t1.tv_sec * 1000000000 + t1.tv_nsec);
    outrig_session_free(now);

    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

void test_session(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], buf[4096], dir[4096];
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(JOIN(root, tmp.path, "root"), &store));

    /* A minimal running session: absent optionals are NULL, ended/exit/duration false. */
    outrig_session *s = create_basic(store, "minimal");
    CHECK_STR(outrig_session_container_name(s), "minimal");
    CHECK_STR(outrig_session_image_tag(s), "localhost/outrig-coding:d8aa33");
    CHECK_STR(outrig_session_working_dir(s), "/home/me/repo");
    CHECK(outrig_session_image_config_name(s) == NULL);
    CHECK(outrig_session_agent_name(s) == NULL);
    CHECK(outrig_session_link_target(s) == NULL);
    CHECK(outrig_session_sidecar_count(s) == 0);
    CHECK(outrig_session_sidecar(s, 0) == NULL);
    CHECK_LAST_ERROR("index 0 is out of range");
    int64_t end = 42;
    int32_t code = 42;
    uint64_t took = 42;
    CHECK(!outrig_session_ended_at(s, &end) && end == 42);
    CHECK(!outrig_session_exit_code(s, &code) && code == 42);
    CHECK(!outrig_session_duration(s, &took) && took == 42);
    JOIN(buf, outrig_session_session_dir(s), "logs");
    CHECK_STR(outrig_session_logs_dir(s), buf);
    /* Borrowed strings are stable: the same pointer on every call. */
    CHECK(outrig_session_id(s) == outrig_session_id(s));
    CHECK(outrig_session_logs_dir(s) == outrig_session_logs_dir(s));
    char *json = outrig_session_to_json(s);
    CHECK(json != NULL && strstr(json, "ended_at") == NULL && strstr(json, "exit_code") == NULL);
    outrig_string_free(json);

    /* Finalized: the optional outs may be NULL to ask only whether there is a value. */
    CHECK_OK(outrig_store_finalize_at(store, outrig_session_id(s),
                                      outrig_session_started_at(s) - 1000000000, 7));
    outrig_session *f = NULL;
    CHECK_OK(outrig_store_get(store, outrig_session_id(s), &f));
    CHECK(outrig_session_ended_at(f, NULL));
    CHECK(outrig_session_exit_code(f, NULL));
    CHECK(outrig_session_duration(f, NULL));
    CHECK(outrig_session_exit_code(f, &code) && code == 7);
    /* An end before the start (a clock step) is a duration of zero. */
    CHECK(outrig_session_duration(f, &took) && took == 0);
    outrig_session_free(f);
    /* The handle from create is a snapshot: it still says running. */
    CHECK(!outrig_session_ended_at(s, NULL));
    outrig_session_free(s);

    /* A record value with a NUL byte: the getter says so, the JSON carries it. */
    JOIN(dir, tmp.path, "nul");
    make_dir(dir);
    write_text(JOIN(buf, dir, "session.json"),
               "{\"id\": \"20260501T134412-3f2a\", \"started_at\": \"2026-05-01T13:44:12Z\", "
               "\"container_name\": \"a\\u0000b\", \"sidecar_container_names\": [\"x\\u0000\"], "
               "\"image_tag\": \"t\", \"working_dir\": \"/w\", \"session_dir\": \"/s\"}");
    CHECK_OK(outrig_store_get_by_path(store, dir, &s));
    CHECK(outrig_session_container_name(s) == NULL);
    CHECK_LAST_ERROR("NUL byte");
    CHECK_LAST_ERROR("container_name");
    CHECK(outrig_session_sidecar(s, 0) == NULL);
    CHECK_LAST_ERROR("sidecar");
    CHECK_STR(outrig_session_image_tag(s), "t");
    json = outrig_session_to_json(s);
    CHECK_CONTAINS(json, "\"container_name\": \"a\\u0000b\"");
    outrig_string_free(json);
    CHECK_STR(outrig_session_session_dir(s), "/s");
    CHECK_STR(outrig_session_logs_dir(s), "/s/logs");
    outrig_session_free(s);

    /* Times outside what int64_t nanoseconds hold saturate. */
    JOIN(dir, tmp.path, "far");
    make_dir(dir);
    write_text(JOIN(buf, dir, "session.json"),
               "{\"id\": \"far\", \"started_at\": \"1500-01-01T00:00:00Z\", "
               "\"ended_at\": \"9999-01-01T00:00:00Z\", \"container_name\": \"c\", "
               "\"image_tag\": \"t\", \"working_dir\": \"/w\", \"session_dir\": \"/s\", "
               "\"exit_code\": -2147483648}");
    CHECK_OK(outrig_store_get_by_path(store, dir, &s));
    CHECK(outrig_session_started_at(s) == INT64_MIN);
    CHECK(outrig_session_ended_at(s, &end) && end == INT64_MAX);
    CHECK(outrig_session_exit_code(s, &code) && code == INT32_MIN);
    CHECK(outrig_session_duration(s, &took) && took == UINT64_MAX);
    outrig_session_free(s);

    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}
