// The header used from C++17: RAII ownership of the handles, std::string for owned strings.
#include "outrig.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

int passed = 0;
int failed = 0;

void check(bool ok, const char *what, int line) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::fprintf(stderr, "FAIL test_cpp.cpp:%d: %s (last error: %s)\n", line, what,
                     outrig_last_error_message());
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

struct StoreFree {
    void operator()(outrig_store *p) const { outrig_store_free(p); }
};
struct SpecFree {
    void operator()(outrig_spec *p) const { outrig_spec_free(p); }
};
struct SessionFree {
    void operator()(outrig_session *p) const { outrig_session_free(p); }
};
struct ListingFree {
    void operator()(outrig_listing *p) const { outrig_listing_free(p); }
};
using Store = std::unique_ptr<outrig_store, StoreFree>;
using Spec = std::unique_ptr<outrig_spec, SpecFree>;
using Session = std::unique_ptr<outrig_session, SessionFree>;
using Listing = std::unique_ptr<outrig_listing, ListingFree>;

// Takes an owned string from the library into a std::string.
std::string take(char *s) {
    std::string out = s ? s : "";
    outrig_string_free(s);
    return out;
}

}  // namespace

int main() {
    std::string base = "/tmp";
    if (const char *t = std::getenv("TMPDIR"); t && *t) {
        base = t;
    }
    std::string tmpl = base + "/outrig-cpp-XXXXXX";
    std::vector<char> dir(tmpl.begin(), tmpl.end());
    dir.push_back('\0');
    CHECK(mkdtemp(dir.data()) != nullptr);
    const std::string root = std::string(dir.data()) + "/root";

    outrig_store *raw_store = nullptr;
    CHECK(outrig_store_open(root.c_str(), &raw_store) == OUTRIG_OK);
    Store store(raw_store);
    CHECK(std::string(outrig_store_root(store.get())) == root);

    Spec spec(outrig_spec_new());
    CHECK(outrig_spec_set_container_name(spec.get(), "outrig-cpp") == OUTRIG_OK);
    CHECK(outrig_spec_set_image_tag(spec.get(), "localhost/outrig-coding:d8aa33") == OUTRIG_OK);
    CHECK(outrig_spec_set_working_dir(spec.get(), "/home/me/repo") == OUTRIG_OK);
    CHECK(outrig_spec_set_agent_name(spec.get(), "coder") == OUTRIG_OK);

    outrig_session *raw_session = nullptr;
    CHECK(outrig_store_create(store.get(), spec.get(), &raw_session) == OUTRIG_OK);
    Session session(raw_session);
    const std::string id = outrig_session_id(session.get());
    CHECK(id.size() == 20);

    std::string log = take([&] {
        char *p = nullptr;
        CHECK(outrig_store_log_path(store.get(), id.c_str(), "agent.log", &p) == OUTRIG_OK);
        return p;
    }());
    CHECK(log == std::string(outrig_session_logs_dir(session.get())) + "/agent.log");
    CHECK(outrig_store_finalize(store.get(), id.c_str(), 0) == OUTRIG_OK);

    outrig_listing *raw_listing = nullptr;
    CHECK(outrig_store_list(store.get(), &raw_listing) == OUTRIG_OK);
    Listing listing(raw_listing);
    CHECK(outrig_listing_len(listing.get()) == 1);
    const outrig_session *listed = outrig_listing_get(listing.get(), 0);
    CHECK(listed != nullptr && id == outrig_session_id(listed));
    int32_t code = -1;
    CHECK(outrig_session_exit_code(listed, &code) && code == 0);
    CHECK(std::string(outrig_session_agent_name(listed)) == "coder");
    std::string json = take(outrig_session_to_json(listed));
    CHECK(json.find("\"exit_code\": 0") != std::string::npos);
    CHECK(take(outrig_format_duration(3900000000000ULL)) == "1h05m");

    // Errors come back as statuses with a message, in C++ as in C.
    outrig_session *missing = nullptr;
    CHECK(outrig_store_get(store.get(), "../etc", &missing) == OUTRIG_ERR_INVALID_ARGUMENT);
    CHECK(missing == nullptr);
    CHECK(std::string(outrig_last_error_message()).find("invalid session id") !=
          std::string::npos);
    CHECK(std::string(outrig_status_name(OUTRIG_ERR_NOT_FOUND)) == "OUTRIG_ERR_NOT_FOUND");

    CHECK(outrig_store_remove(store.get(), id.c_str(), nullptr) == OUTRIG_OK);
    CHECK(rmdir(root.c_str()) == 0);
    CHECK(rmdir(dir.data()) == 0);

    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
