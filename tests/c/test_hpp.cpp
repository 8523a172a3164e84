// outrig.hpp, the C++17 face: owning move-only types, errors as outrig::error, std::string /
// std::optional / std::chrono / std::filesystem::path at the boundary, leases, states and the
// container probe as a std::function. Built with -Wall -Wextra -Werror -pedantic and run plain,
// under valgrind and under ASan/UBSan by `make test-c`.
#include "outrig.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sstream>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include <sys/wait.h>
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
static_assert(!std::is_copy_constructible_v<outrig::live_session>);
static_assert(std::is_nothrow_move_constructible_v<outrig::live_session>);
static_assert(!std::is_copy_constructible_v<outrig::file>);
static_assert(!std::is_copy_assignable_v<outrig::file>);
static_assert(std::is_nothrow_move_constructible_v<outrig::file>);
static_assert(std::is_nothrow_move_assignable_v<outrig::file>);
static_assert(std::is_base_of_v<std::runtime_error, outrig::error>);
static_assert(std::is_error_code_enum_v<outrig::errc>);
// A clean's mode is a word, not a bool: `clean(age, true)` does not compile.
static_assert(!std::is_invocable_v<decltype(&outrig::store::clean), const outrig::store &,
                                   std::chrono::seconds, bool>);
static_assert(std::is_same_v<decltype(std::declval<outrig::store &>().append_log("", "")),
                             outrig::file>);

// Whether `fd` is an open descriptor.
bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

// Runs `body`, which must throw outrig::error whose code() is `want` (through the category).
template <typename F>
void check_code(F body, outrig::errc want, int line) {
    try {
        body();
        check(false, "an outrig::error was thrown", line);
    } catch (const outrig::error &e) {
        check(e.code() == want, "e.code() == the outrig::errc wanted", line);
        check(e.code().category() == outrig::error_category(), "the outrig category", line);
        check(std::string(e.code().category().name()) == "outrig", "category name", line);
        check(static_cast<int>(e.code().value()) == static_cast<int>(e.status()),
              "code().value() is the status", line);
    }
}
#define CHECK_CODE(body, want) check_code([&] { body; }, (want), __LINE__)

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

    // Logs through owned descriptors: closed when the file object goes.
    int seen_fd = -1;
    {
        outrig::file log = store.append_log(id, "agent.log");
        seen_fd = log.get();
        CHECK(log && is_open(seen_fd));
        log.write_all("hel");
        CHECK(write(log.get(), "lo\n", 3) == 3); // get() lends the descriptor
        outrig::file moved_log = std::move(log);
        CHECK(!log && log.get() == -1 && moved_log.get() == seen_fd);
        CHECK(is_open(seen_fd)); // a move does not close
    }
    CHECK(!is_open(seen_fd)); // destroyed: closed
    outrig::logs files = store.logs(id);
    CHECK(files.size() == 1 && files.name(0) == "agent.log" && files.file_size(0) == 6);
    CHECK(store.find_log(id, "agent.log") == root / id / "logs" / "agent.log");
    {
        outrig::file log = store.read_log(id, "agent.log");
        CHECK(log.read_all() == "hello\n");
        CHECK(log.read_all().empty()); // at the end
        // release() hands the descriptor over: the object no longer closes it.
        int fd = log.release();
        CHECK(!log && is_open(fd));
        log = outrig::file(); // assigning an empty file closes nothing
        CHECK(is_open(fd));
        close(fd);
        // Assigning over an open file closes the one it held.
        outrig::file a = store.read_log(id, "agent.log");
        int a_fd = a.get();
        a = store.read_log(id, "agent.log");
        CHECK(!is_open(a_fd) || a.get() == a_fd);
    }

    // Finalize by id goes through this process's lease, which ends.
    store.finalize(id, outrig::exit_code_from_wait_status(15));
    CHECK(!live.leased());
    CHECK_CODE(store.get("20260501T134412-3f2a"), outrig::errc::not_found);
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
    CHECK(std::string(outrig::to_string(outrig::state::finished)) == "finished");
    CHECK(std::string(outrig::to_string(outrig::state::running)) == "running");
    CHECK(std::string(outrig::to_string(outrig::state::abandoned)) == "abandoned");
    CHECK(std::string(outrig::to_string(outrig::state::unknown)) == "unknown");
    {
        std::ostringstream out;
        out << outrig::state::finished << "/" << states.at(0);
        CHECK(out.str() == "finished/" + std::string(outrig::to_string(states[0])));
    }

    // at() checks the index; operator[] does not.
    CHECK(all.at(0).id() == all[0].id());
    try {
        all.at(all.size());
        CHECK(false);
    } catch (const std::out_of_range &e) {
        CHECK(std::string(e.what()).find("3") != std::string::npos);
    }

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
    outrig::cleaning dry = store.clean(std::chrono::seconds(0), outrig::clean_mode::dry_run);
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
        CHECK(false);
    } catch (const outrig::error &e) {
        CHECK(std::string(e.status_name()) == "OUTRIG_ERR_INVALID_ARGUMENT");
        CHECK(e.code() == outrig::errc::invalid_argument);
        CHECK(e.code() != outrig::errc::busy);
        // The portable condition too, as for std::errc.
        CHECK(e.code() == std::errc::invalid_argument);
        CHECK(e.code().message() == "invalid argument");
    }
    CHECK_CODE(store.get("../escape"), outrig::errc::invalid_argument);
    CHECK(outrig::make_error_code(outrig::errc::busy).message() == "busy");
    CHECK(std::error_code(outrig::errc::not_found) == std::errc::no_such_file_or_directory);

    // Remove returns what stayed; a moved-from store is never freed twice. The one session left
    // has a container the probe sees running, which a remove refuses as `outrig discard` does,
    // finalized or not; remove_forced skips the container check.
    outrig::store moved = std::move(store);
    std::string last = moved.list()[0].id();
    moved.finalize(last, 0);
    CHECK_THROWS(moved.remove(last), OUTRIG_ERR_BUSY, "up-agent");
    CHECK_THROWS(moved.remove(last, outrig::remove_mode::checked), OUTRIG_ERR_BUSY, "up-agent");
    CHECK(moved.remove_forced(last).empty());
    CHECK(moved.list().empty());
    // By path, the same two modes (outrig_store_remove_by_path and its _forced).
    outrig::live_session again = moved.create(basic("up-agent"));
    again.finalize(0);
    CHECK_THROWS(moved.remove_by_path(again.session_dir()), OUTRIG_ERR_BUSY, "up-agent");
    CHECK(moved.list().size() == 1);
    CHECK(moved.remove_by_path(again.session_dir(), outrig::remove_mode::forced).empty());
    CHECK(moved.list().empty());
}

// The session create returns finalizes itself, updates its sidecars, and outlives the store
// object it came from; another process's view of it is busy while it runs.
void test_live_session(const std::filesystem::path &root) {
    std::optional<outrig::live_session> live;
    std::string id;
    {
        outrig::store store = outrig::store::open(root).without_container_probe();
        live.emplace(store.create(basic("live-agent")));
        id = live->id();
        CHECK(live->leased());
        // Another process (a fork child: its copy of the handle holds no lease) cannot remove
        // it, forced or not, by id or by path: forced skips only the container check.
        std::fflush(nullptr);
        pid_t pid = fork();
        if (pid == 0) {
            failed = 0;
            CHECK_THROWS(store.remove(id, outrig::remove_mode::forced), OUTRIG_ERR_BUSY,
                         "running launcher");
            CHECK_THROWS(store.remove_by_path(live->session_dir(), outrig::remove_mode::forced),
                         OUTRIG_ERR_BUSY, "running launcher");
            _exit(failed == 0 ? 0 : 1);
        }
        int status = -1;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(live->leased());
        CHECK(store.state(id) == outrig::state::running);
        live->set_sidecar_containers({"live-web", "live-db"});
        CHECK(live->leased()); // a sidecar update keeps the lease
        CHECK((store.get(id).sidecar_container_names() ==
               std::vector<std::string>{"live-web", "live-db"}));
    } // the store object is gone; the live session keeps its handle
    live->finalize(7);
    CHECK(!live->leased());
    outrig::store store = outrig::store::open(root);
    outrig::session done = store.get(id);
    CHECK(done.exit_code() == std::optional<int>(7));
    CHECK(store.state(id) == outrig::state::finished);

    // finalize_at records the given end time; finalizing again overwrites.
    outrig::live_session other = store.create(basic("live-at"));
    auto start = other.started_at();
    other.finalize_at(start + std::chrono::seconds(90), 130);
    outrig::session at = store.get(other.id());
    CHECK(at.exit_code() == std::optional<int>(130));
    CHECK(at.duration() == std::optional<std::chrono::nanoseconds>(std::chrono::seconds(90)));
    CHECK_THROWS(other.set_sidecar_containers({"ok", ""}), OUTRIG_ERR_INVALID_ARGUMENT, "");

    // A moved-from live session refuses, saying so.
    outrig::live_session moved = std::move(other);
    CHECK_THROWS(other.finalize(0), OUTRIG_ERR_INVALID_ARGUMENT, "moved from");
    CHECK_THROWS(other.set_sidecar_containers({}), OUTRIG_ERR_INVALID_ARGUMENT, "moved from");
    moved.finalize(0);
    CHECK(store.get(moved.id()).exit_code() == std::optional<int>(0));

    // A session removed meanwhile: finalize says it is not found.
    outrig::live_session doomed = store.create(basic("live-gone"));
    const std::string doomed_id = doomed.id();
    doomed.finalize(0);
    store.remove(doomed_id);
    CHECK_CODE(doomed.finalize(1), outrig::errc::not_found);
}

} // namespace

// Waiting and watching in one process (across processes: test_watch.c): a session this process
// leases runs, so a wait times out; finalized, the wait gives its code and the watch its events.
void test_wait_and_watch(const std::filesystem::path &root) {
    auto store = outrig::store::open(root).with_container_probe(
        [](const std::vector<std::string> &) {
            // Nothing runs (an empty list, not "cannot tell", which would keep it from removal).
            return std::optional<std::vector<std::string>>(std::vector<std::string>{});
        });
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
    test_live_session(std::filesystem::path(tmp.path) / "live");
    test_wait_and_watch(std::filesystem::path(tmp.path) / "root-watch");
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
