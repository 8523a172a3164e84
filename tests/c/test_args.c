/* NULL for every pointer argument and invalid UTF-8 for every string argument, of every
 * function: each is OUTRIG_ERR_INVALID_ARGUMENT (or NULL/0/false) with a message naming the
 * argument, and out-pointers are untouched. */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <stdlib.h>

/* Not UTF-8: a lone continuation byte and an overlong encoding. */
static const char BAD[] = "abc\x80\xc0\xaf";

#define CHECK_NULL_ARG(expr, arg)                          \
    do {                                                   \
        CHECK_STATUS((expr), OUTRIG_ERR_INVALID_ARGUMENT); \
        CHECK_LAST_ERROR("`" arg "` is NULL");             \
    } while (0)

#define CHECK_BAD_UTF8(expr, arg)                          \
    do {                                                   \
        CHECK_STATUS((expr), OUTRIG_ERR_INVALID_ARGUMENT); \
        CHECK_LAST_ERROR("`" arg "` is not valid UTF-8");  \
    } while (0)

/* Makes the last error empty, through a status call that succeeds. */
static void clear_last_error(void) {
    outrig_spec *spec = outrig_spec_new();
    CHECK_OK(outrig_spec_set_started_at(spec, 0));
    outrig_spec_free(spec);
    CHECK_STR(outrig_last_error_message(), "");
}

/* A getter given a NULL handle: the failure value, and a last error that says why. */
#define CHECK_NULL_GETTER(expr, fail_value)  \
    do {                                     \
        clear_last_error();                  \
        CHECK((expr) == (fail_value));       \
        CHECK_LAST_ERROR("` is NULL");       \
    } while (0)

void test_null_arguments(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(JOIN(root, tmp.path, "root"), &store));
    outrig_session *s = create_basic(store, "args");
    const char *id = outrig_session_id(s);
    const char *dir = outrig_session_session_dir(s);
    outrig_spec *spec = basic_spec("args");

    /* Sentinels: out-pointers must keep these on error. */
    outrig_store *store_out = (outrig_store *)&tmp;
    outrig_session *session_out = (outrig_session *)&tmp;
    outrig_listing *listing_out = (outrig_listing *)&tmp;
    outrig_strings *strings_out = (outrig_strings *)&tmp;
    outrig_logs *logs_out = (outrig_logs *)&tmp;
    char *path_out = (char *)&tmp;
    int fd_out = -7;

    /* Opening. */
    CHECK_NULL_ARG(outrig_store_open(root, NULL), "out");
    CHECK_NULL_ARG(outrig_store_open(NULL, NULL), "out");
    CHECK_NULL_ARG(outrig_store_open_resolved(root, NULL, NULL), "out");
    CHECK_NULL_GETTER(outrig_store_root(NULL), NULL);

    /* Spec setters. */
    CHECK_NULL_ARG(outrig_spec_set_container_name(NULL, "x"), "spec");
    CHECK_NULL_ARG(outrig_spec_set_container_name(spec, NULL), "value");
    CHECK_NULL_ARG(outrig_spec_set_image_tag(NULL, "x"), "spec");
    CHECK_NULL_ARG(outrig_spec_set_image_tag(spec, NULL), "value");
    CHECK_NULL_ARG(outrig_spec_set_image_config_name(NULL, "x"), "spec");
    CHECK_NULL_ARG(outrig_spec_set_image_config_name(spec, NULL), "value");
    CHECK_NULL_ARG(outrig_spec_set_agent_name(NULL, "x"), "spec");
    CHECK_NULL_ARG(outrig_spec_set_agent_name(spec, NULL), "value");
    CHECK_NULL_ARG(outrig_spec_set_working_dir(NULL, "x"), "spec");
    CHECK_NULL_ARG(outrig_spec_set_working_dir(spec, NULL), "value");
    CHECK_NULL_ARG(outrig_spec_set_session_dir(NULL, "x"), "spec");
    CHECK_NULL_ARG(outrig_spec_set_session_dir(spec, NULL), "value");
    CHECK_NULL_ARG(outrig_spec_add_sidecar_container(NULL, "x"), "spec");
    CHECK_NULL_ARG(outrig_spec_add_sidecar_container(spec, NULL), "value");
    CHECK_NULL_ARG(outrig_spec_set_started_at(NULL, 0), "spec");

    /* Store operations: every pointer, one at a time. A NULL out never costs a session. */
    CHECK_NULL_ARG(outrig_store_create(NULL, spec, &session_out), "store");
    CHECK_NULL_ARG(outrig_store_create(store, NULL, &session_out), "spec");
    CHECK_NULL_ARG(outrig_store_create(store, spec, NULL), "out");
    outrig_listing *listing = NULL;
    CHECK_OK(outrig_store_list(store, &listing));
    CHECK(outrig_listing_len(listing) == 1);
    outrig_listing_free(listing);
    CHECK_NULL_ARG(outrig_store_finalize(NULL, id, 0), "store");
    CHECK_NULL_ARG(outrig_store_finalize(store, NULL, 0), "id");
    CHECK_NULL_ARG(outrig_store_finalize_at(NULL, id, 0, 0), "store");
    CHECK_NULL_ARG(outrig_store_finalize_at(store, NULL, 0, 0), "id");
    const char *names[] = {"a"};
    CHECK_NULL_ARG(outrig_store_set_sidecar_containers(NULL, id, names, 1), "store");
    CHECK_NULL_ARG(outrig_store_set_sidecar_containers(store, NULL, names, 1), "id");
    CHECK_STATUS(outrig_store_set_sidecar_containers(store, id, NULL, 1),
                 OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("`names`");
    CHECK_NULL_ARG(outrig_store_get(NULL, id, &session_out), "store");
    CHECK_NULL_ARG(outrig_store_get(store, NULL, &session_out), "id");
    CHECK_NULL_ARG(outrig_store_get(store, id, NULL), "out");
    CHECK_NULL_ARG(outrig_store_get_by_path(NULL, dir, &session_out), "store");
    CHECK_NULL_ARG(outrig_store_get_by_path(store, NULL, &session_out), "dir");
    CHECK_NULL_ARG(outrig_store_get_by_path(store, dir, NULL), "out");
    CHECK_NULL_ARG(outrig_store_list(NULL, &listing_out), "store");
    CHECK_NULL_ARG(outrig_store_list(store, NULL), "out");
    CHECK_NULL_ARG(outrig_store_remove(NULL, id, &strings_out), "store");
    CHECK_NULL_ARG(outrig_store_remove(store, NULL, &strings_out), "id");
    CHECK_NULL_ARG(outrig_store_remove_by_path(NULL, dir, &strings_out), "store");
    CHECK_NULL_ARG(outrig_store_remove_by_path(store, NULL, &strings_out), "dir");
    CHECK_NULL_ARG(outrig_store_remove_forced(NULL, id, &strings_out), "store");
    CHECK_NULL_ARG(outrig_store_remove_forced(store, NULL, &strings_out), "id");
    CHECK_NULL_ARG(outrig_store_remove_by_path_forced(NULL, dir, &strings_out), "store");
    CHECK_NULL_ARG(outrig_store_remove_by_path_forced(store, NULL, &strings_out), "dir");
    CHECK_NULL_ARG(outrig_store_clean_v2(NULL, 0, true, &listing_out, NULL, NULL, NULL, NULL,
                                         NULL),
                   "store");
    CHECK_STATUS(outrig_store_clean_v2(store, -1, true, NULL, NULL, NULL, NULL, NULL, NULL),
                 OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("older_than_seconds");
    CHECK_NULL_ARG(outrig_store_clean(NULL, 0, true, &listing_out, NULL, NULL), "store");
    CHECK_NULL_ARG(outrig_store_clean_before(NULL, 0, true, &listing_out, NULL, NULL), "store");
    CHECK_NULL_ARG(outrig_store_clean_session(NULL, id, true, &listing_out, &listing_out,
                                              &listing_out),
                   "store");
    CHECK_NULL_ARG(outrig_store_clean_session(store, NULL, true, &listing_out, &listing_out,
                                              &listing_out),
                   "id");
    /* States: a sentinel state out of the enum's range shows the out-pointers stay untouched. */
    outrig_state state_out = (outrig_state)77;
    CHECK_NULL_ARG(outrig_store_state(NULL, id, &state_out), "store");
    CHECK_NULL_ARG(outrig_store_state(store, NULL, &state_out), "id");
    CHECK_NULL_ARG(outrig_store_state(store, id, NULL), "out");
    CHECK((int)state_out == 77);
    CHECK_OK(outrig_store_list(store, &listing));
    outrig_state states[2] = {(outrig_state)77, (outrig_state)77};
    CHECK_NULL_ARG(outrig_store_states(NULL, listing, states, 1), "store");
    CHECK_NULL_ARG(outrig_store_states(store, NULL, states, 1), "listing");
    CHECK_STATUS(outrig_store_states(store, listing, NULL, 1), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("`out` is NULL but its count is 1");
    /* The count must be the listing's length, neither less nor more. */
    CHECK_STATUS(outrig_store_states(store, listing, states, 0), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("`len` is 0 but the listing holds 1 sessions");
    CHECK_STATUS(outrig_store_states(store, listing, states, 2), OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR("`len` is 2");
    CHECK((int)states[0] == 77 && (int)states[1] == 77);
    /* The session s is leased by this process: running, through the matching count. */
    CHECK_OK(outrig_store_states(store, listing, states, 1));
    CHECK(states[0] == OUTRIG_STATE_RUNNING && (int)states[1] == 77);
    outrig_listing_free(listing);
    CHECK_NULL_ARG(outrig_store_with_container_probe(NULL, NULL, NULL, &store_out), "store");
    CHECK_NULL_ARG(outrig_store_with_container_probe(store, NULL, NULL, NULL), "out");
    CHECK_NULL_ARG(outrig_store_log_path(NULL, id, "a.log", &path_out), "store");
    CHECK_NULL_ARG(outrig_store_log_path(store, NULL, "a.log", &path_out), "id");
    CHECK_NULL_ARG(outrig_store_log_path(store, id, NULL, &path_out), "name");
    CHECK_NULL_ARG(outrig_store_log_path(store, id, "a.log", NULL), "path_out");
    CHECK_NULL_ARG(outrig_store_find_log(NULL, id, "a.log", &path_out), "store");
    CHECK_NULL_ARG(outrig_store_find_log(store, NULL, "a.log", &path_out), "id");
    CHECK_NULL_ARG(outrig_store_find_log(store, id, NULL, &path_out), "name");
    CHECK_NULL_ARG(outrig_store_find_log(store, id, "a.log", NULL), "path_out");
    CHECK_NULL_ARG(outrig_store_append_log(NULL, id, "a.log", &fd_out), "store");
    CHECK_NULL_ARG(outrig_store_append_log(store, NULL, "a.log", &fd_out), "id");
    CHECK_NULL_ARG(outrig_store_append_log(store, id, NULL, &fd_out), "name");
    CHECK_NULL_ARG(outrig_store_append_log(store, id, "a.log", NULL), "fd_out");
    CHECK_NULL_ARG(outrig_store_read_log(NULL, id, "a.log", &fd_out), "store");
    CHECK_NULL_ARG(outrig_store_read_log(store, NULL, "a.log", &fd_out), "id");
    CHECK_NULL_ARG(outrig_store_read_log(store, id, NULL, &fd_out), "name");
    CHECK_NULL_ARG(outrig_store_read_log(store, id, "a.log", NULL), "fd_out");
    CHECK(fd_out == -7);
    CHECK_NULL_ARG(outrig_store_logs(NULL, id, &logs_out), "store");
    CHECK_NULL_ARG(outrig_store_logs(store, NULL, &logs_out), "id");
    CHECK_NULL_ARG(outrig_store_logs(store, id, NULL), "out");
    CHECK_NULL_ARG(outrig_store_entry_path(NULL, id, &path_out), "store");
    CHECK_NULL_ARG(outrig_store_entry_path(store, NULL, &path_out), "id");
    CHECK_NULL_ARG(outrig_store_entry_path(store, id, NULL), "path_out");
    /* The session survived all of that. */
    outrig_session *still = NULL;
    CHECK_OK(outrig_store_get(store, id, &still));
    CHECK(!outrig_session_ended_at(still, NULL));
    CHECK(outrig_session_sidecar_count(still) == 0);
    outrig_session_free(still);

    /* Getters of a NULL handle. */
    CHECK_NULL_GETTER(outrig_session_id(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_container_name(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_image_tag(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_working_dir(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_session_dir(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_logs_dir(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_image_config_name(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_agent_name(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_link_target(NULL), NULL);
    CHECK_NULL_GETTER(outrig_session_started_at(NULL), 0);
    int64_t end = 5;
    int32_t code = 5;
    uint64_t took = 5;
    CHECK_NULL_GETTER(outrig_session_ended_at(NULL, &end), false);
    CHECK_NULL_GETTER(outrig_session_exit_code(NULL, &code), false);
    CHECK_NULL_GETTER(outrig_session_duration(NULL, &took), false);
    CHECK(end == 5 && code == 5 && took == 5);
    CHECK_NULL_GETTER(outrig_session_sidecar_count(NULL), 0);
    CHECK_NULL_GETTER(outrig_session_sidecar(NULL, 0), NULL);
    CHECK_NULL_GETTER(outrig_session_to_json(NULL), NULL);
    CHECK_NULL_GETTER(outrig_listing_len(NULL), 0);
    CHECK_NULL_GETTER(outrig_listing_get(NULL, 0), NULL);
    CHECK_NULL_GETTER(outrig_listing_skipped_len(NULL), 0);
    CHECK_NULL_GETTER(outrig_listing_skipped_entry(NULL, 0), NULL);
    CHECK_NULL_GETTER(outrig_listing_skipped_reason(NULL, 0), NULL);
    CHECK_NULL_GETTER(outrig_strings_len(NULL), 0);
    CHECK_NULL_GETTER(outrig_strings_get(NULL, 0), NULL);
    CHECK_NULL_GETTER(outrig_logs_len(NULL), 0);
    CHECK_NULL_GETTER(outrig_logs_name(NULL, 0), NULL);
    CHECK_NULL_GETTER(outrig_logs_size(NULL, 0), 0);

    CHECK(store_out == (outrig_store *)&tmp);
    CHECK(session_out == (outrig_session *)&tmp);
    CHECK(listing_out == (outrig_listing *)&tmp);
    CHECK(strings_out == (outrig_strings *)&tmp);
    CHECK(logs_out == (outrig_logs *)&tmp);
    CHECK(path_out == (char *)&tmp);

    outrig_spec_free(spec);
    outrig_session_free(s);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}

void test_invalid_utf8(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(JOIN(root, tmp.path, "root"), &store));
    outrig_session *s = create_basic(store, "utf8");
    const char *id = outrig_session_id(s);
    outrig_spec *spec = basic_spec("utf8");

    outrig_store *store_out = NULL;
    outrig_session *session_out = NULL;
    outrig_strings *strings_out = NULL;
    outrig_logs *logs_out = NULL;
    char *path_out = NULL;
    int fd_out = -7;

    CHECK_BAD_UTF8(outrig_store_open(BAD, &store_out), "root");
    CHECK_BAD_UTF8(outrig_store_open_resolved(BAD, NULL, &store_out), "explicit_root");
    CHECK_BAD_UTF8(outrig_store_open_resolved(NULL, BAD, &store_out), "global_config");
    CHECK_BAD_UTF8(outrig_spec_set_container_name(spec, BAD), "value");
    CHECK_BAD_UTF8(outrig_spec_set_image_tag(spec, BAD), "value");
    CHECK_BAD_UTF8(outrig_spec_set_image_config_name(spec, BAD), "value");
    CHECK_BAD_UTF8(outrig_spec_set_agent_name(spec, BAD), "value");
    CHECK_BAD_UTF8(outrig_spec_set_working_dir(spec, BAD), "value");
    CHECK_BAD_UTF8(outrig_spec_set_session_dir(spec, BAD), "value");
    CHECK_BAD_UTF8(outrig_spec_add_sidecar_container(spec, BAD), "value");
    CHECK_BAD_UTF8(outrig_store_finalize(store, BAD, 0), "id");
    CHECK_BAD_UTF8(outrig_store_finalize_at(store, BAD, 0, 0), "id");
    const char *names[] = {"ok", BAD};
    CHECK_BAD_UTF8(outrig_store_set_sidecar_containers(store, BAD, names, 1), "id");
    CHECK_BAD_UTF8(outrig_store_set_sidecar_containers(store, id, names, 2), "names[1]");
    CHECK_BAD_UTF8(outrig_store_get(store, BAD, &session_out), "id");
    CHECK_BAD_UTF8(outrig_store_get_by_path(store, BAD, &session_out), "dir");
    CHECK_BAD_UTF8(outrig_store_remove(store, BAD, &strings_out), "id");
    CHECK_BAD_UTF8(outrig_store_remove_by_path(store, BAD, &strings_out), "dir");
    CHECK_BAD_UTF8(outrig_store_log_path(store, BAD, "a.log", &path_out), "id");
    CHECK_BAD_UTF8(outrig_store_log_path(store, id, BAD, &path_out), "name");
    CHECK_BAD_UTF8(outrig_store_find_log(store, BAD, "a.log", &path_out), "id");
    CHECK_BAD_UTF8(outrig_store_find_log(store, id, BAD, &path_out), "name");
    CHECK_BAD_UTF8(outrig_store_append_log(store, BAD, "a.log", &fd_out), "id");
    CHECK_BAD_UTF8(outrig_store_append_log(store, id, BAD, &fd_out), "name");
    CHECK_BAD_UTF8(outrig_store_read_log(store, BAD, "a.log", &fd_out), "id");
    CHECK_BAD_UTF8(outrig_store_read_log(store, id, BAD, &fd_out), "name");
    CHECK(fd_out == -7);
    CHECK_BAD_UTF8(outrig_store_logs(store, BAD, &logs_out), "id");
    CHECK_BAD_UTF8(outrig_store_entry_path(store, BAD, &path_out), "id");
    outrig_state state_out = (outrig_state)77;
    CHECK_BAD_UTF8(outrig_store_state(store, BAD, &state_out), "id");
    CHECK((int)state_out == 77);
    outrig_listing *listing_out = NULL;
    CHECK_BAD_UTF8(outrig_store_clean_session(store, BAD, false, &listing_out, NULL, NULL), "id");
    CHECK(listing_out == NULL);
    CHECK(store_out == NULL && session_out == NULL && strings_out == NULL && logs_out == NULL &&
          path_out == NULL);

    /* The spec kept its valid values through the refused ones. */
    outrig_session *made = NULL;
    CHECK_OK(outrig_store_create(store, spec, &made));
    CHECK_STR(outrig_session_container_name(made), "utf8");
    CHECK(outrig_session_agent_name(made) == NULL);
    CHECK(outrig_session_sidecar_count(made) == 0);
    outrig_session_free(made);
    /* And the session is untouched by the refused updates. */
    CHECK_OK(outrig_store_get(store, id, &made));
    CHECK(outrig_session_sidecar_count(made) == 0);
    outrig_session_free(made);

    /* Valid non-ASCII UTF-8 is fine wherever free text goes. */
    CHECK_OK(outrig_spec_set_container_name(spec, "conteneur-\xc3\xa9t\xc3\xa9"));
    CHECK_OK(outrig_spec_set_working_dir(spec, "/home/m\xc3\xa9/d\xe2\x82\xac"));
    CHECK_OK(outrig_store_create(store, spec, &made));
    CHECK_STR(outrig_session_container_name(made), "conteneur-\xc3\xa9t\xc3\xa9");
    CHECK_STR(outrig_session_working_dir(made), "/home/m\xc3\xa9/d\xe2\x82\xac");
    outrig_session_free(made);

    outrig_spec_free(spec);
    outrig_session_free(s);
    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}
