/* The shared session.json vectors, read and written through C: the same bytes the Rust API
 * gives (the .rewrite.json and .finalized.json files, which the Rust tests check too). */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <dirent.h>
#include <stdlib.h>

#define VECTOR_ID "20260501T134412-3f2a"

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The vector files ending in `suffix`, sorted; *count is set. Free with free_names. */
static char **vectors(const char *suffix, size_t *count) {
    DIR *d = opendir(conformance_dir());
    *count = 0;
    if (d == NULL) {
        fprintf(stderr, "cannot open the conformance vectors at %s; set OUTRIG_CONFORMANCE_DIR\n",
                conformance_dir());
        return NULL;
    }
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name), m = strlen(suffix);
        if (n <= m || strcmp(e->d_name + n - m, suffix) != 0) {
            continue;
        }
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            char **bigger = realloc(names, cap * sizeof *names);
            if (bigger == NULL) {
                break;
            }
            names = bigger;
        }
        names[*count] = malloc(n - m + 1);
        memcpy(names[*count], e->d_name, n - m);
        names[*count][n - m] = '\0';
        (*count)++;
    }
    closedir(d);
    if (names) {
        qsort(names, *count, sizeof *names, compare_names);
    }
    return names;
}

static void free_names(char **names, size_t count) {
    for (size_t i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
}

/* The bytes of vector `name` + `suffix`. */
static char *vector_bytes(const char *name, const char *suffix) {
    char file[4096], path[4096];
    snprintf(file, sizeof file, "%s%s", name, suffix);
    char *bytes = read_file(JOIN(path, conformance_dir(), file), NULL);
    CHECK(bytes != NULL);
    return bytes;
}

/* Copies vector `name` + `suffix` to `dir`/session.json, making `dir`. */
static void place(const char *dir, const char *name, const char *suffix) {
    char path[4096];
    char *bytes = vector_bytes(name, suffix);
    make_dir(dir);
    if (bytes) {
        write_text(JOIN(path, dir, "session.json"), bytes);
    }
    free(bytes);
}

static void check_valid(const char *name, const outrig_store *store, const char *scratch) {
    char dir[4096], path[4096];
    char *rewrite = vector_bytes(name, ".rewrite.json");
    char *finalized = vector_bytes(name, ".finalized.json");

    /* Read directly with get_by_path: its JSON is the rewrite, byte for byte. */
    JOIN(dir, scratch, name);
    place(dir, name, ".input.json");
    outrig_session *s = NULL;
    CHECK_OK(outrig_store_get_by_path(store, dir, &s));
    char *json = outrig_session_to_json(s);
    CHECK_STR(json, rewrite);
    if (json && rewrite && strcmp(json, rewrite) != 0) {
        fprintf(stderr, "  vector %s: rewrite differs\n", name);
    }
    CHECK_STR(outrig_session_id(s), VECTOR_ID);
    outrig_string_free(json);
    outrig_session_free(s);

    /* Placed under the root: listed, read by id, and finalized to the expected bytes. */
    JOIN(dir, outrig_store_root(store), VECTOR_ID);
    place(dir, name, ".input.json");
    outrig_listing *listing = NULL;
    CHECK_OK(outrig_store_list(store, &listing));
    CHECK(outrig_listing_len(listing) == 1 && outrig_listing_skipped_len(listing) == 0);
    json = outrig_session_to_json(outrig_listing_get(listing, 0));
    CHECK_STR(json, rewrite);
    outrig_string_free(json);
    outrig_listing_free(listing);
    CHECK_OK(outrig_store_finalize_at(store, VECTOR_ID, CONFORMANCE_ENDED_AT_NS, 0));
    char *on_disk = read_file(JOIN(path, dir, "session.json"), NULL);
    CHECK_STR(on_disk, finalized);
    if (on_disk && finalized && strcmp(on_disk, finalized) != 0) {
        fprintf(stderr, "  vector %s: finalized record differs\n", name);
    }
    free(on_disk);
    CHECK_OK(outrig_store_get(store, VECTOR_ID, &s));
    json = outrig_session_to_json(s);
    CHECK_STR(json, finalized);
    outrig_string_free(json);
    int64_t end = 0;
    int32_t code = -1;
    CHECK(outrig_session_ended_at(s, &end) && end == CONFORMANCE_ENDED_AT_NS);
    CHECK(outrig_session_exit_code(s, &code) && code == 0);
    outrig_session_free(s);
    CHECK_OK(outrig_store_remove(store, VECTOR_ID, NULL));
    CHECK(!path_exists(dir));

    free(rewrite);
    free(finalized);
}

static void check_corrupt(const char *name, const outrig_store *store, const char *scratch) {
    char dir[4096];
    /* Read directly: a corrupt-record error. */
    JOIN(dir, scratch, name);
    place(dir, name, ".corrupt.json");
    outrig_session *s = (outrig_session *)&dir;
    CHECK_STATUS(outrig_store_get_by_path(store, dir, &s), OUTRIG_ERR_CORRUPT_RECORD);
    CHECK(s == (outrig_session *)&dir);
    CHECK_LAST_ERROR(dir);

    /* In a listing next to a good session: skipped with a reason, the other listed. */
    JOIN(dir, outrig_store_root(store), VECTOR_ID);
    place(dir, name, ".corrupt.json");
    outrig_session *good = create_basic(store, "good");
    outrig_listing *listing = NULL;
    CHECK_OK(outrig_store_list(store, &listing));
    CHECK(outrig_listing_len(listing) == 1);
    CHECK_STR(outrig_session_id(outrig_listing_get(listing, 0)), outrig_session_id(good));
    CHECK(outrig_listing_skipped_len(listing) == 1);
    CHECK_STR(outrig_listing_skipped_entry(listing, 0), VECTOR_ID);
    CHECK_CONTAINS(outrig_listing_skipped_reason(listing, 0), "session.json");
    if (outrig_listing_len(listing) != 1 || outrig_listing_skipped_len(listing) != 1) {
        fprintf(stderr, "  vector %s: not skipped as it should be\n", name);
    }
    outrig_listing_free(listing);
    CHECK_STATUS(outrig_store_get(store, VECTOR_ID, &s), OUTRIG_ERR_CORRUPT_RECORD);
    CHECK_OK(outrig_store_remove(store, VECTOR_ID, NULL));
    CHECK_OK(outrig_store_remove(store, outrig_session_id(good), NULL));
    outrig_session_free(good);
}

void test_conformance(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096], scratch[4096];
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(JOIN(root, tmp.path, "root"), &store));
    make_dir(root);
    JOIN(scratch, tmp.path, "scratch");
    make_dir(scratch);

    size_t valid_count = 0, corrupt_count = 0;
    char **valid = vectors(".input.json", &valid_count);
    char **corrupt = vectors(".corrupt.json", &corrupt_count);
    CHECK(valid_count >= 13);
    CHECK(corrupt_count >= 8);
    for (size_t i = 0; i < valid_count; i++) {
        check_valid(valid[i], store, scratch);
    }
    for (size_t i = 0; i < corrupt_count; i++) {
        check_corrupt(corrupt[i], store, scratch);
    }
    free_names(valid, valid_count);
    free_names(corrupt, corrupt_count);

    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}
