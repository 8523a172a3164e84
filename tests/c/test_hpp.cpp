// outrig.hpp, the C++17 face: owning move-only types, errors as outrig::error, std::string /
// std::optional / std::chrono / std::filesystem::path at the boundary, leases, states and the
// container probe as a std::function. Built with -Wall -Wextra -Werror -pedantic and run plain,
// under valgrind and under ASan/UBSan by `make test-c`.
#include "outrig.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
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
        std::fprintf(stderr, "FAIL test_hpp.cpp:%d: %s\n", line, what);
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

// Runs `body`, which must throw outrig::error with `want`; the message must name `needle`.
template <typename F>
void check_throws(F body, outrig_status want, const char *needle, int line) {
    try {
        body();
        check(false, "an outrig::error was thrown", line);
    } catch (const std::runtime_error &e) { // outrig::error is one
        const auto *err = dynamic_cast<const outrig::error *>(&e);
        check(err != nullptr, "the exception is an outrig::error", line);
        check(err && err->status() == want, outrig_status_name(want), line);
        check(std::string(e.what()).find(needle) != std::string::npos, needle, line);
    }
}
#define CHECK_THROWS(body, want, needle) check_throws([&] { body; }, (want), (needle), __LINE__)

// Owning types move but never copy (one free per handle).
static_assert(!std::is_copy_constructible_v<outrig::store>);
static_assert(!std::is_copy_assignable_v<outrig::store>);
static_assert(std::is_nothrow_move_constructible_v<outrig::store>);
static_assert(!std::is_copy_constructible_v<outrig::session>);
static_assert(std::is_nothrow_move_constructible_v<outrig::session>);
static_assert(!std::is_copy_constructible_v<outrig::listing>);
static_assert(!std::is_copy_constructible_v<outrig::logs>);
static_assert(!std::is_copy_constructible_v<outrig::strings>);
static_assert(!std::is_copy_constructible_v<outrig::spec>);
static_assert(std::is_base_of_v<std::runtime_error, outrig::error>);

struct temp_dir {
    std::string path;
    temp_dir() {
        const char *tmp = std::getenv("TMPDIR");
        std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/outrig-hpp-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data()) == nullptr) {
            std::perror("mkdtemp");
            std::exit(2);
        }
        path = buf.data();
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
};

outrig::spec basic(const char *container) {
    return outrig::spec(container, "localhost/outrig-coding:d8aa33", "/home/me/repo");
}

void test_sessions_and_errors(const std::filesystem::path &root) {
    outrig::store base = outrig::store::open(root);
    CHECK(base.root() == root);
    std::atomic<int> calls{0};
    outrig::store store = base.with_container_probe(
        [&calls](const std::vector<std::string> &names) -> std::optional<std::vector<std::string>> {
            ++calls;
            std::vector<std::string> up;
            for (const auto &n : names) {
                if (n.rfind("up-", 0) == 0) {
                    up.push_back(n);
                }
            }
            return up;
        });

    // Create: the session holds its lease and is running; a moved session keeps it.
    outrig::spec spec = basic("down-agent");
    spec.agent_name("coder").add_sidecar_container("down-side");
    outrig::session made = store.create(spec);
    CHECK(made.leased());
    outrig::session live = std::move(made);
    CHECK(live.leased());
    const std::string id = live.id();
    CHECK(store.state(id) == outrig::state::running);
    CHECK(calls == 0); // leased: no container question
    CHECK(live.agent_name() == std::optional<std::string>("coder"));
    CHECK(!live.image_config_name());
    CHECK(live.working_dir() == std::filesystem::path("/home/me/repo"));
    CHECK(live.session_dir() == root / id);
    CHECK(live.logs_dir() == root / id / "logs");
    CHECK((live.sidecar_container_names() == std::vector<std::string>{"down-side"}));
    CHECK(!live.ended_at() && !live.exit_code() && !live.duration());
    CHECK(live.to_json().find(id) != std::string::npos);

    // Logs through descriptors.
    int fd = store.append_log(id, "agent.log");
    CHECK(fd >= 0 && write(fd, "hello\n", 6) == 6);
    close(fd);
    outrig::logs files = store.logs(id);
    CHECK(files.size() == 1 && files.name(0) == "agent.log" && files.file_size(0) == 6);
    CHECK(store.find_log(id, "agent.log") == root / id / "logs" / "agent.log");
    fd = store.read_log(id, "agent.log");
    char buf[8] = {};
    CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 6);
    close(fd);
    CHECK(std::string(buf) == "hello\n");

    // Finalize by id goes through this process's lease, which ends.
    store.finalize(id, outrig::exit_code_from_wait_status(15));
    CHECK(!live.leased());
    outrig::session done = store.get(id);
    CHECK(done.exit_code() == std::optional<int>(143));
    CHECK(done.ended_at() && *done.ended_at() >= done.started_at());
    CHECK(done.duration() && done.duration()->count() >= 0);
    CHECK(store.state(id) == outrig::state::finished);
    CHECK(!outrig::format_started_at(done.started_at()).empty());
    CHECK(outrig::format_duration(std::chrono::seconds(90)) == "1m30s");
    // Nanoseconds reach the C function as nanoseconds: 90.9 s is still 1m30s, not 1m31s or 0.
    CHECK(outrig::format_duration(std::chrono::milliseconds(90900)) == "1m30s");
    CHECK(outrig::format_duration(std::chrono::nanoseconds(-5)) == "0m00s");

    // Abandoned and running-by-container, from one listing with one probe call.
    {
        outrig::session gone = store.create(basic("down-crashed"));
        outrig::session up = store.create(basic("up-agent"));
    } // both give up their leases unfinalized
    outrig::listing all = store.list();
    CHECK(all.size() == 3 && all.skipped().empty());
    calls = 0;
    std::vector<outrig::state> states = store.states(all);
    CHECK(calls == 1);
    std::size_t i = 0;
    for (outrig::session_ref s : all) {
        outrig::state want = s.id() == id                       ? outrig::state::finished
                             : s.container_name() == "up-agent" ? outrig::state::running
                                                                : outrig::state::abandoned;
        CHECK(i < states.size() && states[i] == want);
        ++i;
    }
    CHECK(i == 3);
    CHECK(std::string(outrig::state_name(outrig::state::abandoned)) == "OUTRIG_STATE_ABANDONED");

    // A probe that throws cannot tell; no probe cannot either.
    outrig::store throwing = store.with_container_probe(
        [](const std::vector<std::string> &) -> std::optional<std::vector<std::string>> {
            throw std::runtime_error("engine down");
        });
    outrig::store blind = store.without_container_probe();
    for (outrig::session_ref s : all) {
        if (s.id() != id) {
            CHECK(throwing.state(s.id()) == outrig::state::unknown);
            CHECK(blind.state(s.id()) == outrig::state::unknown);
        }
    }

    // Clean with a zero cutoff: the finished and the abandoned one would go; the running one is
    // kept as running.
    outrig::cleaning dry = store.clean(std::chrono::seconds(0), true);
    CHECK(dry.removed.size() == 2);
    for (outrig::session_ref s : dry.removed) {
        CHECK(s.id() == id || s.container_name() == "down-crashed");
    }
    CHECK(dry.kept_running.size() == 1 && dry.kept_running[0].container_name() == "up-agent");
    CHECK(dry.kept_unknown.size() == 0);
    outrig::cleaning real = store.clean(std::chrono::seconds(3600));
    CHECK(real.removed.size() == 0); // started less than an hour ago
    real = store.clean_before(std::chrono::system_clock::now() + std::chrono::hours(1));
    CHECK(real.removed.size() == 2 && store.list().size() == 1);
    outrig::cleaning one = blind.clean_session(store.list()[0].id());
    CHECK(one.kept_unknown.size() == 1 && one.removed.size() == 0);

    // Errors: the status and the message; refused arguments never reach the library.
    CHECK_THROWS(store.get("../escape"), OUTRIG_ERR_INVALID_ARGUMENT, "../escape");
    CHECK_THROWS(store.get("20260501T134412-3f2a"), OUTRIG_ERR_NOT_FOUND, "20260501T134412-3f2a");
    CHECK_THROWS(store.get(std::string_view("a\0b", 3)), OUTRIG_ERR_INVALID_ARGUMENT, "NUL");
    CHECK_THROWS(store.create(outrig::spec("", "img", "/w")), OUTRIG_ERR_INVALID_ARGUMENT,
                 "container");
    CHECK_THROWS(store.read_log(one.kept_unknown[0].id(), "missing.log"), OUTRIG_ERR_NOT_FOUND,
                 "missing.log");
    try {
        store.finalize("bad id", 0);
    } catch (const outrig::error &e) {
        CHECK(std::string(e.status_name()) == "OUTRIG_ERR_INVALID_ARGUMENT");
    }

    // Remove returns what stayed; a moved-from store is never freed twice. The one session left
    // is unfinalized with a container the probe sees running, which a remove refuses as
    // `outrig discard` does: finalize it first.
    outrig::store moved = std::move(store);
    std::string last = moved.list()[0].id();
    moved.finalize(last, 0);
    CHECK(moved.remove(last).empty());
    CHECK(moved.list().empty());
}

} // namespace

// Waiting and watching in one process (across processes: test_watch.c): a session this process
// leases runs, so a wait times out; finalized, the wait gives its code and the watch its events.
void test_wait_and_watch(const std::filesystem::path &root) {
    auto store = outrig::store::open(root).with_container_probe(
        [](const std::vector<std::string> &) { return std::optional<std::vector<std::string>>({}); });
    std::filesystem::create_directories(root);
    outrig::watch w = store.watch();
    CHECK(w.fd() >= 0);
    CHECK(!w.next(std::chrono::milliseconds(0)));
    outrig::session live = store.create(outrig::spec("waited", "img:1", "/w"));
    std::string id = live.id();
    auto timed = store.wait(id, std::chrono::milliseconds(100));
    CHECK(timed.outcome == outrig::wait_outcome::timed_out && !timed.exit_code);
    store.finalize(id, 9);
    auto done = store.wait(id);
    CHECK(done.outcome == outrig::wait_outcome::finished && done.exit_code == 9);
    std::vector<outrig::event_kind> kinds;
    while (kinds.size() < 2) {
        std::optional<outrig::event> e = w.next(std::chrono::seconds(30));
        CHECK(e.has_value());
        if (!e) {
            break;
        }
        CHECK(e->id() == id);
        CHECK(e->session() && e->session()->id() == id);
        kinds.push_back(e->kind());
    }
    CHECK((kinds == std::vector<outrig::event_kind>{outrig::event_kind::created,
                                                    outrig::event_kind::finalized}));
    store.remove(id);
    std::optional<outrig::event> gone = w.next(std::chrono::seconds(30));
    CHECK(gone && gone->kind() == outrig::event_kind::removed && !gone->session());
    CHECK(store.wait(id).outcome == outrig::wait_outcome::removed);
    CHECK(std::string(outrig::event_kind_name(outrig::event_kind::abandoned)) ==
          "OUTRIG_EVENT_ABANDONED");
    check_throws([&] { store.wait("../x"); }, OUTRIG_ERR_INVALID_ARGUMENT, "../x", __LINE__);
}

int main() {
    temp_dir tmp;
    test_sessions_and_errors(std::filesystem::path(tmp.path) / "root");
    test_wait_and_watch(std::filesystem::path(tmp.path) / "root-watch");
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
