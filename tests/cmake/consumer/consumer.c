/* The CMake consumer's program: under the root given as its argument, creates a session,
 * finalizes it with exit code 7, lists the root and prints "1 session, exit code 7". Any
 * failure prints the library's message and exits 1. */
#include <stdio.h>

#include <outrig.h>

static int fail(const char *what) {
    fprintf(stderr, "consumer: %s: %s\n", what, outrig_last_error_message());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s ROOT\n", argv[0]);
        return 2;
    }
    struct outrig_store *store = NULL;
    if (outrig_store_open(argv[1], &store) != OUTRIG_OK) {
        return fail("open");
    }
    struct outrig_spec *spec = outrig_spec_new();
    struct outrig_session *session = NULL;
    struct outrig_listing *listing = NULL;
    int status = 1;
    if (outrig_spec_set_container_name(spec, "cmake-consumer") != OUTRIG_OK ||
        outrig_spec_set_image_tag(spec, "img:1") != OUTRIG_OK ||
        outrig_spec_set_working_dir(spec, "/") != OUTRIG_OK) {
        status = fail("spec");
    } else if (outrig_store_create(store, spec, &session) != OUTRIG_OK) {
        status = fail("create");
    } else if (outrig_store_finalize(store, outrig_session_id(session), 7) != OUTRIG_OK) {
        status = fail("finalize");
    } else if (outrig_store_list(store, &listing) != OUTRIG_OK) {
        status = fail("list");
    } else {
        int32_t code = -1;
        size_t n = outrig_listing_len(listing);
        if (n == 1 && outrig_session_exit_code(outrig_listing_get(listing, 0), &code)) {
            printf("%zu session, exit code %d\n", n, (int)code);
            status = 0;
        } else {
            fprintf(stderr, "consumer: listed %zu sessions, none finalized\n", n);
        }
    }
    outrig_listing_free(listing);
    outrig_session_free(session);
    outrig_spec_free(spec);
    outrig_store_free(store);
    return status;
}
