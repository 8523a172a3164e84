/* Writes sessions through the C ABI for tests/c_interop.rs, which reads them with the Rust API.
 *
 *     writer ROOT EXPLICIT_DIR
 *
 * Makes an auto session with every field (sidecars replaced after the create, finalized at
 * 2026-05-01T14:19:51Z with exit code 0) and a running explicit session in EXPLICIT_DIR, and
 * prints their ids, one per line. */
#include "outrig.h"

#include <stdio.h>
#include <stdlib.h>

static void check(outrig_status st, const char *what) {
    if (st != OUTRIG_OK) {
        fprintf(stderr, "writer: %s: %s: %s\n", what, outrig_status_name(st),
                outrig_last_error_message());
        exit(1);
    }
}

static outrig_spec *full_spec(void) {
    outrig_spec *spec = outrig_spec_new();
    check(outrig_spec_set_container_name(spec, "outrig-interop"), "container name");
    check(outrig_spec_set_image_tag(spec, "localhost/outrig-coding:d8aa33"), "image tag");
    check(outrig_spec_set_image_config_name(spec, "coding"), "image config name");
    check(outrig_spec_set_agent_name(spec, "coder"), "agent name");
    check(outrig_spec_set_working_dir(spec, "/home/me/repo"), "working dir");
    check(outrig_spec_add_sidecar_container(spec, "proxy"), "sidecar");
    /* 2026-05-01T13:44:12.5Z */
    check(outrig_spec_set_started_at(spec, INT64_C(1777643052500000000)), "started at");
    return spec;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: writer ROOT EXPLICIT_DIR\n");
        return 2;
    }
    outrig_store *store = NULL;
    check(outrig_store_open(argv[1], &store), "open");

    outrig_spec *spec = full_spec();
    outrig_session *made = NULL;
    check(outrig_store_create(store, spec, &made), "create");
    const char *id = outrig_session_id(made);
    const char *sidecars[] = {"proxy", "db"};
    check(outrig_store_set_sidecar_containers(store, id, sidecars, 2), "set sidecars");
    check(outrig_store_finalize_at(store, id, INT64_C(1777645191) * 1000000000, 0), "finalize");
    printf("%s\n", id);
    outrig_session_free(made);

    check(outrig_spec_set_session_dir(spec, argv[2]), "session dir");
    check(outrig_store_create(store, spec, &made), "create explicit");
    printf("%s\n", outrig_session_id(made));
    outrig_session_free(made);

    outrig_spec_free(spec);
    outrig_store_free(store);
    return 0;
}
