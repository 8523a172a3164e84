/* Several threads sharing one store handle, creating, listing and finalizing at once. */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <pthread.h>
#include <stdlib.h>

#define THREADS 4
#define CREATES_PER_THREAD 16

typedef struct worker {
    const outrig_store *store; /* shared by every worker */
    int index;
    int failures;              /* counted here: the harness's counters are not thread-safe */
    char ids[CREATES_PER_THREAD][64];
    char first_failure[512];
} worker;

static void fail(worker *w, const char *what) {
    if (w->failures++ == 0) {
        snprintf(w->first_failure, sizeof w->first_failure, "worker %d: %s (last error: %s)",
                 w->index, what, outrig_last_error_message());
    }
}

static void *work(void *arg) {
    worker *w = arg;
    char name[64];
    snprintf(name, sizeof name, "worker-%d", w->index);
    outrig_spec *spec = outrig_spec_new();
    if (outrig_spec_set_container_name(spec, name) != OUTRIG_OK ||
        outrig_spec_set_image_tag(spec, "t") != OUTRIG_OK ||
        outrig_spec_set_working_dir(spec, "/w") != OUTRIG_OK) {
        fail(w, "filling the spec");
    }
    for (int i = 0; i < CREATES_PER_THREAD; i++) {
        outrig_session *s = NULL;
        if (outrig_store_create(w->store, spec, &s) != OUTRIG_OK) {
            fail(w, "create");
            continue;
        }
        snprintf(w->ids[i], sizeof w->ids[i], "%s", outrig_session_id(s));
        outrig_session_free(s);

        /* A listing sees at least what this worker made so far, and never a torn record. */
        outrig_listing *listing = NULL;
        if (outrig_store_list(w->store, &listing) != OUTRIG_OK) {
            fail(w, "list");
        } else {
            if (outrig_listing_len(listing) < (size_t)(i + 1)) {
                fail(w, "listing misses a session");
            }
            if (outrig_listing_skipped_len(listing) != 0) {
                fail(w, "listing skipped an entry");
            }
            outrig_listing_free(listing);
        }
        if (outrig_store_finalize(w->store, w->ids[i], w->index) != OUTRIG_OK) {
            fail(w, "finalize");
        }

        /* Each thread has its own last error. */
        outrig_session *none = NULL;
        if (outrig_store_get(w->store, "..", &none) != OUTRIG_ERR_INVALID_ARGUMENT ||
            strstr(outrig_last_error_message(), "invalid session id") == NULL) {
            fail(w, "own last error");
        }
    }
    outrig_spec_free(spec);
    return NULL;
}

void test_threads(void) {
    test_dir tmp;
    test_dir_make(&tmp);
    char root[4096];
    outrig_store *store = NULL;
    CHECK_OK(outrig_store_open(JOIN(root, tmp.path, "root"), &store));

    /* A failure on this thread before the workers start ... */
    outrig_session *none = NULL;
    CHECK_STATUS(outrig_store_get(store, "20260101T000000-none", &none), OUTRIG_ERR_NOT_FOUND);

    worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        memset(&workers[t], 0, sizeof workers[t]);
        workers[t].store = store;
        workers[t].index = t;
        CHECK(pthread_create(&threads[t], NULL, work, &workers[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) {
        CHECK(pthread_join(threads[t], NULL) == 0);
        CHECK(workers[t].failures == 0);
        if (workers[t].failures) {
            fprintf(stderr, "  %s\n", workers[t].first_failure);
        }
    }
    /* ... is still this thread's last error: the workers' failures did not replace it. */
    CHECK_LAST_ERROR("no session 20260101T000000-none");

    /* Every session is there once, finalized with its worker's exit code. */
    outrig_listing *listing = NULL;
    CHECK_OK(outrig_store_list(store, &listing));
    CHECK(outrig_listing_len(listing) == THREADS * CREATES_PER_THREAD);
    CHECK(outrig_listing_skipped_len(listing) == 0);
    for (size_t i = 0; i < outrig_listing_len(listing); i++) {
        const outrig_session *s = outrig_listing_get(listing, i);
        if (i > 0) {
            CHECK(listed_before(outrig_listing_get(listing, i - 1), s));
        }
        int32_t code = -1;
        CHECK(outrig_session_exit_code(s, &code));
        char want[64];
        snprintf(want, sizeof want, "worker-%d", code);
        CHECK_STR(outrig_session_container_name(s), want);
    }
    outrig_listing_free(listing);
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < CREATES_PER_THREAD; i++) {
            outrig_session *s = NULL;
            CHECK_OK(outrig_store_get(store, workers[t].ids[i], &s));
            outrig_session_free(s);
        }
    }

    outrig_store_free(store);
    test_dir_cleanup(&tmp);
}
