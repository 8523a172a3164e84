/*
 * outrig.hpp: a C++17 face of liboutrig over the C interface in outrig.h, header-only.
 *
 * Link exactly as for C (-loutrig, or pkg-config outrig / outrig-static, or CMake's
 * outrig::outrig / outrig::outrig_static). Written by hand (outrig.h is generated); every
 * function here converts and delegates to the C function of the same name, whose documentation
 * in outrig.h says what it does, what it refuses and when it blocks.
 *
 * - Ownership: outrig::store, spec, session, live_session, listing, logs, strings and file own
 *   their C handle (or descriptor), free it in their destructor, and are move-only. A
 *   session_ref is borrowed from the listing it came from and must not outlive it.
 * - Errors: a failed call throws outrig::error (a std::runtime_error) carrying the
 *   outrig_status and the library's message; e.code() is a std::error_code of
 *   outrig::error_category(), so `e.code() == outrig::errc::busy` works. Functions documented
 *   as not failing are noexcept.
 * - Values: strings in as std::string_view (an embedded NUL byte is refused with
 *   OUTRIG_ERR_INVALID_ARGUMENT, as C could not see past it), paths as std::filesystem::path;
 *   out as std::string, std::filesystem::path, std::optional for what a record may lack, and
 *   std::chrono (system_clock time points, nanosecond durations) for times.
 * - Threads: as in C. A store may be used from any number of threads at once; sessions and
 *   listings may be read from several threads.
 * - Leases: the live_session from store::create holds the session's lease until it is
 *   finalized (live_session::finalize, or store::finalize by id from this process, which goes
 *   through the lease) or the object is destroyed (unfinalized: the session is then
 *   abandoned). See outrig_store_create. It keeps its store's handle alive, so it may outlive
 *   the outrig::store object it came from.
 * - Waiting and watching: store::wait blocks until a session ends (outrig_store_wait); a watch
 *   (store::watch) owns an outrig_watch whose fd() polls and whose next() gives owned events.
 */
#ifndef OUTRIG_HPP
#define OUTRIG_HPP

#include "outrig.h"

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

namespace outrig {

/// The statuses of outrig.h as a scoped enum, for std::error_code: `e.code() ==
/// outrig::errc::busy`. The values are the C statuses'.
enum class errc {
    invalid_argument = OUTRIG_ERR_INVALID_ARGUMENT,
    not_found = OUTRIG_ERR_NOT_FOUND,
    already_exists = OUTRIG_ERR_ALREADY_EXISTS,
    dir_not_usable = OUTRIG_ERR_DIR_NOT_USABLE,
    corrupt_record = OUTRIG_ERR_CORRUPT_RECORD,
    config = OUTRIG_ERR_CONFIG,
    io = OUTRIG_ERR_IO,
    panic = OUTRIG_ERR_PANIC,
    busy = OUTRIG_ERR_BUSY,
};

namespace detail {
class category final : public std::error_category {
public:
    const char *name() const noexcept override { return "outrig"; }
    std::string message(int value) const override {
        switch (static_cast<outrig_status>(value)) {
        case OUTRIG_OK: return "success";
        case OUTRIG_ERR_INVALID_ARGUMENT: return "invalid argument";
        case OUTRIG_ERR_NOT_FOUND: return "not found";
        case OUTRIG_ERR_ALREADY_EXISTS: return "already exists";
        case OUTRIG_ERR_DIR_NOT_USABLE: return "directory not usable";
        case OUTRIG_ERR_CORRUPT_RECORD: return "corrupt record";
        case OUTRIG_ERR_CONFIG: return "configuration error";
        case OUTRIG_ERR_IO: return "I/O error";
        case OUTRIG_ERR_PANIC: return "internal error in liboutrig";
        case OUTRIG_ERR_BUSY: return "busy";
        }
        return "unknown outrig status " + std::to_string(value);
    }
    /// Lets callers test an outrig error against the portable conditions too
    /// (`e.code() == std::errc::no_such_file_or_directory` for not_found).
    std::error_condition default_error_condition(int value) const noexcept override {
        switch (static_cast<outrig_status>(value)) {
        case OUTRIG_ERR_INVALID_ARGUMENT: return std::errc::invalid_argument;
        case OUTRIG_ERR_NOT_FOUND: return std::errc::no_such_file_or_directory;
        case OUTRIG_ERR_ALREADY_EXISTS: return std::errc::file_exists;
        case OUTRIG_ERR_BUSY: return std::errc::device_or_resource_busy;
        case OUTRIG_ERR_IO: return std::errc::io_error;
        default: return std::error_condition(value, *this);
        }
    }
};
} // namespace detail

/// The error category of outrig's statuses (name "outrig"); one object for the program.
inline const std::error_category &error_category() noexcept {
    static const detail::category instance;
    return instance;
}

/// An error code of outrig's category (found by argument-dependent lookup for errc).
inline std::error_code make_error_code(errc e) noexcept {
    return std::error_code(static_cast<int>(e), error_category());
}

/// A failed call: the status (what kind of failure) and the library's message (which path or
/// id, and what to do).
class error : public std::runtime_error {
public:
    error(outrig_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}

    /// The status the C function returned.
    outrig_status status() const noexcept { return status_; }

    /// The status as a std::error_code of outrig::error_category().
    std::error_code code() const noexcept {
        return std::error_code(static_cast<int>(status_), error_category());
    }

    /// The status as spelled in outrig.h ("OUTRIG_ERR_BUSY").
    const char *status_name() const noexcept { return outrig_status_name(status_); }

private:
    outrig_status status_;
};

} // namespace outrig

namespace std {
/// outrig::errc converts to std::error_code implicitly, as std::errc does.
template <>
struct is_error_code_enum<outrig::errc> : true_type {};
} // namespace std

namespace outrig {

/// Time points of records: nanoseconds since the Unix epoch in C.
using time_point = std::chrono::system_clock::time_point;

/// What is known of a session's life (outrig_state).
enum class state {
    running = OUTRIG_STATE_RUNNING,
    finished = OUTRIG_STATE_FINISHED,
    abandoned = OUTRIG_STATE_ABANDONED,
    unknown = OUTRIG_STATE_UNKNOWN,
};

/// The state's name as spelled in outrig.h ("OUTRIG_STATE_RUNNING").
inline const char *state_name(state s) noexcept {
    return outrig_state_name(static_cast<outrig_state>(s));
}

/// The state as `outrig ls` shows it: "running", "finished", "abandoned" or "unknown".
inline const char *to_string(state s) noexcept {
    switch (s) {
    case state::running: return "running";
    case state::finished: return "finished";
    case state::abandoned: return "abandoned";
    case state::unknown: return "unknown";
    }
    return "unknown";
}

/// Writes to_string(s).
inline std::ostream &operator<<(std::ostream &out, state s) { return out << to_string(s); }

/// What a clean does with the sessions it selects: remove them, or only report them.
enum class clean_mode {
    remove,
    dry_run,
};

/// Whether a removal asks the container probe first (checked: fails closed, as outrig_store_remove)
/// or skips that check for a machine whose container engine is broken (forced, as
/// outrig_store_remove_forced; a lease another process holds still refuses it).
enum class remove_mode {
    checked,
    forced,
};

/// An open file descriptor, owned: closed when the object is destroyed. Move-only; get()
/// lends the descriptor, release() hands it over (the caller then closes it).
class file {
public:
    file() noexcept = default;
    /// Takes ownership of `fd` (-1 for none).
    explicit file(int fd) noexcept : fd_(fd) {}
    file(file &&other) noexcept : fd_(other.release()) {}
    file &operator=(file &&other) noexcept {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }
    file(const file &) = delete;
    file &operator=(const file &) = delete;
    ~file() { reset(); }

    /// The descriptor, still owned by this object (-1 when none).
    int get() const noexcept { return fd_; }
    /// Gives up the descriptor without closing it; this object then holds none.
    int release() noexcept { return std::exchange(fd_, -1); }
    /// Closes the descriptor held, if any, and takes `fd`.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }
    explicit operator bool() const noexcept { return fd_ >= 0; }

    /// Writes all of `data`, retrying short writes and EINTR; throws outrig::error (io) with
    /// the system's message on failure.
    void write_all(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::write(fd_, data.data(), data.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw error(OUTRIG_ERR_IO, std::string("writing a log: ") + std::strerror(errno));
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    /// Reads from the current offset to the end; throws outrig::error (io) on failure.
    std::string read_all() {
        std::string out;
        char buf[8192];
        for (;;) {
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw error(OUTRIG_ERR_IO, std::string("reading a log: ") + std::strerror(errno));
            }
            if (n == 0) {
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }

private:
    int fd_ = -1;
};

/// The exit code to record for a child's waitpid status: its exit code, or 128+N for signal N.
inline int exit_code_from_wait_status(int status) noexcept {
    return outrig_exit_code_from_wait_status(status);
}

namespace detail {

/// Throws the last error when `status` is not OUTRIG_OK.
inline void check(outrig_status status) {
    if (status != OUTRIG_OK) {
        throw error(status, outrig_last_error_message());
    }
}

/// A NUL-terminated copy of `text`; a NUL inside it is refused rather than cut at.
inline std::string c_text(std::string_view text, const char *what) {
    if (text.find('\0') != std::string_view::npos) {
        throw error(OUTRIG_ERR_INVALID_ARGUMENT,
                    std::string("argument `") + what + "` holds a NUL byte; pass text without one");
    }
    return std::string(text);
}

/// Takes an owned C string (NULL: the last error), frees it, and returns its text.
inline std::string take_string(char *owned, outrig_status on_null) {
    if (owned == nullptr) {
        throw error(on_null, outrig_last_error_message());
    }
    std::string text(owned);
    outrig_string_free(owned);
    return text;
}

/// A borrowed string a record always has; NULL means it cannot be given (a NUL byte in it).
inline std::string required(const char *borrowed) {
    if (borrowed == nullptr) {
        throw error(OUTRIG_ERR_CORRUPT_RECORD, outrig_last_error_message());
    }
    return borrowed;
}

inline std::optional<std::string> optional_text(const char *borrowed) {
    return borrowed ? std::optional<std::string>(borrowed) : std::nullopt;
}

inline time_point from_ns(std::int64_t ns) {
    return time_point(
        std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(ns)));
}

inline std::int64_t to_ns(time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

template <typename T, void (*Free)(T *)>
struct deleter {
    void operator()(T *p) const noexcept { Free(p); }
};

template <typename T, void (*Free)(T *)>
using owned = std::unique_ptr<T, deleter<T, Free>>;

/// The getters of a session, owned or borrowed (`Derived::raw()` gives the C handle).
template <typename Derived>
class session_getters {
public:
    std::string id() const { return required(outrig_session_id(raw())); }
    std::string container_name() const { return required(outrig_session_container_name(raw())); }
    std::string image_tag() const { return required(outrig_session_image_tag(raw())); }
    std::filesystem::path working_dir() const {
        return required(outrig_session_working_dir(raw()));
    }
    std::filesystem::path session_dir() const {
        return required(outrig_session_session_dir(raw()));
    }
    std::filesystem::path logs_dir() const { return required(outrig_session_logs_dir(raw())); }
    std::optional<std::string> image_config_name() const {
        return optional_text(outrig_session_image_config_name(raw()));
    }
    std::optional<std::string> agent_name() const {
        return optional_text(outrig_session_agent_name(raw()));
    }
    std::optional<std::filesystem::path> link_target() const {
        const char *target = outrig_session_link_target(raw());
        return target ? std::optional<std::filesystem::path>(target) : std::nullopt;
    }
    time_point started_at() const { return from_ns(outrig_session_started_at(raw())); }
    std::optional<time_point> ended_at() const {
        std::int64_t ns = 0;
        return outrig_session_ended_at(raw(), &ns) ? std::optional<time_point>(from_ns(ns))
                                                   : std::nullopt;
    }
    std::optional<int> exit_code() const {
        std::int32_t code = 0;
        return outrig_session_exit_code(raw(), &code) ? std::optional<int>(code) : std::nullopt;
    }
    std::optional<std::chrono::nanoseconds> duration() const {
        std::uint64_t ns = 0;
        if (!outrig_session_duration(raw(), &ns)) {
            return std::nullopt;
        }
        // A duration past what the signed count holds (292 years) saturates.
        using rep = std::chrono::nanoseconds::rep;
        constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<rep>::max());
        return std::chrono::nanoseconds(static_cast<rep>(ns > max ? max : ns));
    }
    std::vector<std::string> sidecar_container_names() const {
        std::vector<std::string> names;
        std::size_t n = outrig_session_sidecar_count(raw());
        names.reserve(n);
        for (std::size_t i = 0; i < n; i++) {
            names.push_back(required(outrig_session_sidecar(raw(), i)));
        }
        return names;
    }
    /// The record as the library writes it.
    std::string to_json() const {
        return take_string(outrig_session_to_json(raw()), OUTRIG_ERR_INVALID_ARGUMENT);
    }

private:
    const outrig_session *raw() const noexcept {
        return static_cast<const Derived *>(this)->raw();
    }
};

} // namespace detail

/// A session borrowed from a listing: valid while the listing lives.
class session_ref : public detail::session_getters<session_ref> {
public:
    explicit session_ref(const outrig_session *raw) noexcept : raw_(raw) {}
    const outrig_session *raw() const noexcept { return raw_; }

private:
    const outrig_session *raw_;
};

/// An owned session: from store::create (holding the lease), store::get or store::get_by_path.
class session : public detail::session_getters<session> {
public:
    explicit session(outrig_session *raw) noexcept : handle_(raw) {}
    const outrig_session *raw() const noexcept { return handle_.get(); }

    /// The descriptor holding this session's lease, or -1 (see outrig_session_lease_fd).
    int lease_fd() const noexcept { return outrig_session_lease_fd(handle_.get()); }

    /// Whether this object still holds the lease.
    bool leased() const noexcept { return lease_fd() != -1; }

private:
    detail::owned<outrig_session, outrig_session_free> handle_;
};

/// What a new session records (outrig_spec). The three required values are constructor
/// arguments; the setters return the spec for chaining. A relative working_dir is recorded
/// absolute, joined to the current directory when the session is created
/// (outrig_spec_set_working_dir).
class spec {
public:
    spec(std::string_view container_name, std::string_view image_tag,
         const std::filesystem::path &working_dir)
        : handle_(outrig_spec_new()) {
        if (!handle_) {
            throw error(OUTRIG_ERR_PANIC, outrig_last_error_message());
        }
        set(outrig_spec_set_container_name, container_name, "container_name");
        set(outrig_spec_set_image_tag, image_tag, "image_tag");
        set(outrig_spec_set_working_dir, working_dir.native(), "working_dir");
    }

    spec &agent_name(std::string_view v) { return set(outrig_spec_set_agent_name, v, "value"); }
    spec &image_config_name(std::string_view v) {
        return set(outrig_spec_set_image_config_name, v, "value");
    }
    spec &session_dir(const std::filesystem::path &dir) {
        return set(outrig_spec_set_session_dir, dir.native(), "value");
    }
    spec &add_sidecar_container(std::string_view v) {
        return set(outrig_spec_add_sidecar_container, v, "value");
    }
    spec &started_at(time_point t) {
        detail::check(outrig_spec_set_started_at(handle_.get(), detail::to_ns(t)));
        return *this;
    }

    const outrig_spec *raw() const noexcept { return handle_.get(); }

private:
    spec &set(outrig_status (*setter)(outrig_spec *, const char *), std::string_view value,
              const char *what) {
        detail::check(setter(handle_.get(), detail::c_text(value, what).c_str()));
        return *this;
    }

    detail::owned<outrig_spec, outrig_spec_free> handle_;
};

/// A listing: sessions newest first, and the entries skipped because they could not be read.
class listing {
public:
    explicit listing(outrig_listing *raw) noexcept : handle_(raw) {}
    const outrig_listing *raw() const noexcept { return handle_.get(); }

    std::size_t size() const noexcept { return outrig_listing_len(handle_.get()); }
    bool empty() const noexcept { return size() == 0; }
    /// Session i, unchecked: i must be below size().
    session_ref operator[](std::size_t i) const noexcept {
        return session_ref(outrig_listing_get(handle_.get(), i));
    }
    /// Session i; std::out_of_range when i is not below size().
    session_ref at(std::size_t i) const {
        if (i >= size()) {
            throw std::out_of_range("outrig::listing::at: index " + std::to_string(i) +
                                    " is not below the listing's size " +
                                    std::to_string(size()));
        }
        return (*this)[i];
    }

    /// Iterates the sessions in order.
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = session_ref;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = session_ref;

        iterator(const listing *l, std::size_t i) noexcept : listing_(l), i_(i) {}
        session_ref operator*() const noexcept { return (*listing_)[i_]; }
        iterator &operator++() noexcept {
            ++i_;
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator before = *this;
            ++i_;
            return before;
        }
        bool operator==(const iterator &o) const noexcept { return i_ == o.i_; }
        bool operator!=(const iterator &o) const noexcept { return i_ != o.i_; }

    private:
        const listing *listing_;
        std::size_t i_;
    };
    iterator begin() const noexcept { return iterator(this, 0); }
    iterator end() const noexcept { return iterator(this, size()); }

    /// A skipped entry: its name under the root, and why it was skipped.
    struct skipped_entry {
        std::string entry;
        std::string reason;
    };
    std::vector<skipped_entry> skipped() const {
        std::vector<skipped_entry> out;
        std::size_t n = outrig_listing_skipped_len(handle_.get());
        for (std::size_t i = 0; i < n; i++) {
            out.push_back({detail::required(outrig_listing_skipped_entry(handle_.get(), i)),
                           detail::required(outrig_listing_skipped_reason(handle_.get(), i))});
        }
        return out;
    }

private:
    detail::owned<outrig_listing, outrig_listing_free> handle_;
};

/// The files under a session's logs/ (outrig_logs).
class logs {
public:
    explicit logs(outrig_logs *raw) noexcept : handle_(raw) {}
    std::size_t size() const noexcept { return outrig_logs_len(handle_.get()); }
    /// File i's name relative to logs/ ("agent.log", "sub/x.stderr").
    std::string name(std::size_t i) const { return detail::required(outrig_logs_name(handle_.get(), i)); }
    /// File i's size in bytes.
    std::uint64_t file_size(std::size_t i) const noexcept {
        return outrig_logs_size(handle_.get(), i);
    }

private:
    detail::owned<outrig_logs, outrig_logs_free> handle_;
};

/// A list of strings (the names a removal kept; outrig_strings).
class strings {
public:
    explicit strings(outrig_strings *raw) noexcept : handle_(raw) {}
    std::size_t size() const noexcept { return outrig_strings_len(handle_.get()); }
    std::string operator[](std::size_t i) const {
        return detail::required(outrig_strings_get(handle_.get(), i));
    }
    std::vector<std::string> to_vector() const {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < size(); i++) {
            out.push_back((*this)[i]);
        }
        return out;
    }

private:
    detail::owned<outrig_strings, outrig_strings_free> handle_;
};

/// What a clean removed and kept.
struct cleaning {
    listing removed;
    listing kept_running;
    listing kept_unknown;
};

/// A container probe: of the names given, the ones running now, or std::nullopt when it cannot
/// tell. Called from any thread that uses the store, possibly at once; an exception it throws
/// counts as "cannot tell".
using container_probe =
    std::function<std::optional<std::vector<std::string>>(const std::vector<std::string> &)>;

namespace detail {

/// A store's C handle with the probe it calls, shared by the store object and the
/// live_sessions it created, so that a session can finalize itself whatever became of the
/// store object.
struct store_core {
    /// Declared first, so it is destroyed after the handle that calls it.
    std::shared_ptr<container_probe> probe;
    owned<outrig_store, outrig_store_free> handle;
};

inline void set_sidecars(const outrig_store *store, std::string_view id,
                         const std::vector<std::string> &names) {
    std::vector<std::string> copies;
    std::vector<const char *> pointers;
    copies.reserve(names.size());
    for (const auto &n : names) {
        copies.push_back(c_text(n, "names"));
    }
    for (const auto &c : copies) {
        pointers.push_back(c.c_str());
    }
    check(outrig_store_set_sidecar_containers(store, c_text(id, "id").c_str(), pointers.data(),
                                              pointers.size()));
}

} // namespace detail

/// The session store::create made: a session that holds its lease and can finalize itself,
/// as a launcher needs (create, run the agent, finalize with its exit code). Destroyed
/// unfinalized, it lets the lease go and the session is abandoned once nothing runs it.
class live_session : public session {
public:
    live_session(outrig_session *raw, std::shared_ptr<const detail::store_core> store) noexcept
        : session(raw), store_(std::move(store)) {}

    /// Finalizes the session now with `exit_code` (record exit_code_from_wait_status of the
    /// child's status), through the lease, which then ends (outrig_store_finalize).
    void finalize(int exit_code) const {
        detail::check(outrig_store_finalize(store(), own_id().c_str(), exit_code));
    }
    /// Finalizes with the end time `ended_at` (outrig_store_finalize_at).
    void finalize_at(time_point ended_at, int exit_code) const {
        detail::check(outrig_store_finalize_at(store(), own_id().c_str(), detail::to_ns(ended_at),
                                               exit_code));
    }
    /// Replaces the sidecar container names, in start order; the lease stays
    /// (outrig_store_set_sidecar_containers). The object's own fields are those of create.
    void set_sidecar_containers(const std::vector<std::string> &names) const {
        detail::set_sidecars(store(), own_id(), names);
    }

private:
    /// The id, or a clear refusal for a moved-from object.
    std::string own_id() const {
        if (raw() == nullptr) {
            throw error(OUTRIG_ERR_INVALID_ARGUMENT,
                        "this outrig::live_session was moved from; use the object it was moved to");
        }
        return id();
    }
    const outrig_store *store() const noexcept {
        return store_ ? store_->handle.get() : nullptr;
    }
    std::shared_ptr<const detail::store_core> store_;
};

/// How a wait ended (outrig_wait_outcome).
enum class wait_outcome {
    finished = OUTRIG_WAIT_FINISHED,
    abandoned = OUTRIG_WAIT_ABANDONED,
    removed = OUTRIG_WAIT_REMOVED,
    timed_out = OUTRIG_WAIT_TIMED_OUT,
};

/// What store::wait found: how the wait ended, and the exit code of a finished session.
struct wait_result {
    wait_outcome outcome;
    std::optional<int> exit_code;
};

/// What happened to a session (outrig_event_kind).
enum class event_kind {
    created = OUTRIG_EVENT_CREATED,
    updated = OUTRIG_EVENT_UPDATED,
    finalized = OUTRIG_EVENT_FINALIZED,
    abandoned = OUTRIG_EVENT_ABANDONED,
    removed = OUTRIG_EVENT_REMOVED,
};

/// "OUTRIG_EVENT_FINALIZED" and so on (outrig_event_kind_name).
inline const char *event_kind_name(event_kind k) noexcept {
    return outrig_event_kind_name(static_cast<outrig_event_kind>(k));
}

namespace detail {
/// A timeout as C takes it: milliseconds, negative for none.
inline std::int64_t timeout_ms(std::optional<std::chrono::milliseconds> timeout) {
    return timeout ? (timeout->count() < 0 ? 0 : static_cast<std::int64_t>(timeout->count())) : -1;
}
} // namespace detail

/// One change of one session (an owned outrig_event).
class event {
public:
    explicit event(outrig_event *raw) noexcept : handle_(raw) {}
    event_kind kind() const {
        outrig_event_kind k = OUTRIG_EVENT_CREATED;
        detail::check(outrig_event_get_kind(handle_.get(), &k));
        return static_cast<event_kind>(k);
    }
    std::string id() const { return detail::required(outrig_event_id(handle_.get())); }
    /// The record after the change, borrowed from this event; none for a removal.
    std::optional<session_ref> session() const {
        const outrig_session *s = outrig_event_session(handle_.get());
        return s ? std::optional<session_ref>(session_ref(s)) : std::nullopt;
    }

private:
    detail::owned<outrig_event, outrig_event_free> handle_;
};

class store;

/// The changes of the sessions under a root (an owned outrig_watch), from store::watch.
class watch {
public:
    /// The descriptor to poll for readability (outrig_watch_fd); owned by the watch.
    int fd() const {
        int out = -1;
        detail::check(outrig_watch_fd(handle_.get(), &out));
        return out;
    }
    /// The next event within `timeout` (none: until there is one; zero: only what is ready),
    /// or none when the time passed.
    std::optional<event> next(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
        outrig_event *raw = nullptr;
        detail::check(outrig_watch_next(handle_.get(), detail::timeout_ms(timeout), &raw));
        return raw ? std::optional<event>(event(raw)) : std::nullopt;
    }

private:
    friend class store;
    watch(outrig_watch *raw, std::shared_ptr<const void> probe) noexcept
        : probe_(std::move(probe)), handle_(raw) {}

    /// The store's handle and container probe, which the watch asks too (destroyed after
    /// the watch's handle).
    std::shared_ptr<const void> probe_;
    detail::owned<outrig_watch, outrig_watch_free> handle_;
};

/// A session store (outrig_store).
class store {
public:
    /// The store at `root` (outrig_store_open). Trying things out? Give it a root of its own
    /// (a temporary directory): open_default() is outrig's real store.
    static store open(const std::filesystem::path &root) {
        outrig_store *raw = nullptr;
        detail::check(outrig_store_open(detail::c_text(root.native(), "root").c_str(), &raw));
        return store(raw);
    }

    /// The store at outrig's own root (outrig_store_open with NULL).
    static store open_default() {
        outrig_store *raw = nullptr;
        detail::check(outrig_store_open(nullptr, &raw));
        return store(raw);
    }

    /// The store outrig's cascade picks (outrig_store_open_resolved).
    static store open_resolved(const std::optional<std::filesystem::path> &explicit_root,
                               const std::optional<std::filesystem::path> &global_config) {
        std::string root = explicit_root ? detail::c_text(explicit_root->native(), "explicit_root")
                                         : std::string();
        std::string config = global_config
                                 ? detail::c_text(global_config->native(), "global_config")
                                 : std::string();
        outrig_store *raw = nullptr;
        detail::check(outrig_store_open_resolved(explicit_root ? root.c_str() : nullptr,
                                                 global_config ? config.c_str() : nullptr, &raw));
        return store(raw);
    }

    /// A store on the same root that asks `probe` whether containers run.
    store with_container_probe(container_probe probe) const {
        auto held = std::make_shared<container_probe>(std::move(probe));
        outrig_store *raw = nullptr;
        detail::check(outrig_store_with_container_probe(this->raw(), &call_probe,
                                                         held.get(), &raw));
        store made(raw);
        made.core_->probe = std::move(held);
        return made;
    }

    /// A store on the same root that never asks about containers (unleased, unfinalized
    /// sessions are then state::unknown).
    store without_container_probe() const {
        outrig_store *raw = nullptr;
        detail::check(outrig_store_with_container_probe(this->raw(), nullptr, nullptr, &raw));
        return store(raw);
    }

    /// Move-only, as every owning type here (the handle is shared only with the live
    /// sessions this store created).
    store(store &&) noexcept = default;
    store &operator=(store &&) noexcept = default;
    store(const store &) = delete;
    store &operator=(const store &) = delete;
    ~store() = default;

    /// The C handle (NULL in a moved-from store, which every call then refuses).
    const outrig_store *raw() const noexcept { return core_ ? core_->handle.get() : nullptr; }

    std::filesystem::path root() const { return detail::required(outrig_store_root(raw())); }

    /// Creates a session; the result holds its lease and finalizes itself.
    live_session create(const spec &s) const {
        outrig_session *raw_session = nullptr;
        detail::check(outrig_store_create(raw(), s.raw(), &raw_session));
        return live_session(raw_session, core_);
    }

    void finalize(std::string_view id, int exit_code) const {
        detail::check(outrig_store_finalize(raw(), detail::c_text(id, "id").c_str(), exit_code));
    }
    void finalize_at(std::string_view id, time_point ended_at, int exit_code) const {
        detail::check(outrig_store_finalize_at(raw(), detail::c_text(id, "id").c_str(),
                                               detail::to_ns(ended_at), exit_code));
    }
    void set_sidecar_containers(std::string_view id, const std::vector<std::string> &names) const {
        detail::set_sidecars(raw(), id, names);
    }

    session get(std::string_view id) const {
        outrig_session *raw_session = nullptr;
        detail::check(outrig_store_get(raw(), detail::c_text(id, "id").c_str(), &raw_session));
        return session(raw_session);
    }
    session get_by_path(const std::filesystem::path &dir) const {
        outrig_session *raw_session = nullptr;
        detail::check(outrig_store_get_by_path(raw(), detail::c_text(dir.native(), "dir").c_str(),
                                               &raw_session));
        return session(raw_session);
    }

    class listing list() const {
        outrig_listing *raw_listing = nullptr;
        detail::check(outrig_store_list(raw(), &raw_listing));
        return listing(raw_listing);
    }

    /// Waits until session `id` is no longer running, at most `timeout` (none: as long as it
    /// takes), without polling (outrig_store_wait).
    wait_result wait(std::string_view id,
                     std::optional<std::chrono::milliseconds> timeout = std::nullopt) const {
        outrig_wait_outcome outcome = OUTRIG_WAIT_TIMED_OUT;
        std::int32_t code = 0;
        detail::check(outrig_store_wait(raw(), detail::c_text(id, "id").c_str(),
                                        detail::timeout_ms(timeout), &outcome, &code));
        return {static_cast<wait_outcome>(outcome),
                outcome == OUTRIG_WAIT_FINISHED ? std::optional<int>(code) : std::nullopt};
    }

    /// Watches the whole root from now on (outrig_store_watch).
    class watch watch() const {
        outrig_watch *raw_watch = nullptr;
        detail::check(outrig_store_watch(raw(), &raw_watch));
        return outrig::watch(raw_watch, core_);
    }

    enum state state(std::string_view id) const {
        outrig_state s = OUTRIG_STATE_UNKNOWN;
        detail::check(outrig_store_state(raw(), detail::c_text(id, "id").c_str(), &s));
        return static_cast<enum state>(s);
    }
    /// The state of each session of `l`, in order, with one container probe.
    std::vector<enum state> states(const class listing &l) const {
        std::vector<outrig_state> raw_states(l.size());
        detail::check(outrig_store_states(raw(), l.raw(), raw_states.data(), raw_states.size()));
        std::vector<enum state> out;
        out.reserve(raw_states.size());
        for (outrig_state s : raw_states) {
            out.push_back(static_cast<enum state>(s));
        }
        return out;
    }

    /// Removes a session; returns the names that stayed in its directory. With
    /// remove_mode::forced, without asking whether its containers run
    /// (outrig_store_remove_forced).
    std::vector<std::string> remove(std::string_view id,
                                    remove_mode mode = remove_mode::checked) const {
        outrig_strings *kept = nullptr;
        auto call = mode == remove_mode::forced ? outrig_store_remove_forced : outrig_store_remove;
        detail::check(call(raw(), detail::c_text(id, "id").c_str(), &kept));
        return strings(kept).to_vector();
    }
    /// Removes the session whose record is in `dir`, as remove does.
    std::vector<std::string> remove_by_path(const std::filesystem::path &dir,
                                            remove_mode mode = remove_mode::checked) const {
        outrig_strings *kept = nullptr;
        auto call = mode == remove_mode::forced ? outrig_store_remove_by_path_forced
                                                : outrig_store_remove_by_path;
        detail::check(call(raw(), detail::c_text(dir.native(), "dir").c_str(), &kept));
        return strings(kept).to_vector();
    }
    /// remove(id, remove_mode::forced): without asking whether the session's containers run,
    /// for a machine whose container engine is broken; a lease another process holds still
    /// refuses it.
    std::vector<std::string> remove_forced(std::string_view id) const {
        return remove(id, remove_mode::forced);
    }

    /// outrig_store_clean: finished sessions that ended, and abandoned ones that started,
    /// more than `older_than` ago; with clean_mode::dry_run, only reports them.
    cleaning clean(std::chrono::seconds older_than, clean_mode mode = clean_mode::remove) const {
        outrig_listing *r = nullptr, *k = nullptr, *u = nullptr;
        detail::check(outrig_store_clean(raw(), older_than.count(), dry(mode), &r, &k, &u));
        return {listing(r), listing(k), listing(u)};
    }
    cleaning clean_before(time_point before, clean_mode mode = clean_mode::remove) const {
        outrig_listing *r = nullptr, *k = nullptr, *u = nullptr;
        detail::check(
            outrig_store_clean_before(raw(), detail::to_ns(before), dry(mode), &r, &k, &u));
        return {listing(r), listing(k), listing(u)};
    }
    cleaning clean_session(std::string_view id, clean_mode mode = clean_mode::remove) const {
        outrig_listing *r = nullptr, *k = nullptr, *u = nullptr;
        detail::check(outrig_store_clean_session(raw(), detail::c_text(id, "id").c_str(),
                                                 dry(mode), &r, &k, &u));
        return {listing(r), listing(k), listing(u)};
    }

    /// Opens log `name` of session `id` for appending (created when missing); the file
    /// closes when the returned object is destroyed.
    file append_log(std::string_view id, std::string_view name) const {
        int fd = -1;
        detail::check(outrig_store_append_log(raw(), detail::c_text(id, "id").c_str(),
                                              detail::c_text(name, "name").c_str(), &fd));
        return file(fd);
    }
    /// Opens existing log `name` of session `id` for reading; the file closes when the
    /// returned object is destroyed.
    file read_log(std::string_view id, std::string_view name) const {
        int fd = -1;
        detail::check(outrig_store_read_log(raw(), detail::c_text(id, "id").c_str(),
                                            detail::c_text(name, "name").c_str(), &fd));
        return file(fd);
    }
    std::filesystem::path log_path(std::string_view id, std::string_view name) const {
        char *path = nullptr;
        detail::check(outrig_store_log_path(raw(), detail::c_text(id, "id").c_str(),
                                            detail::c_text(name, "name").c_str(), &path));
        return detail::take_string(path, OUTRIG_ERR_PANIC);
    }
    std::filesystem::path find_log(std::string_view id, std::string_view name) const {
        char *path = nullptr;
        detail::check(outrig_store_find_log(raw(), detail::c_text(id, "id").c_str(),
                                            detail::c_text(name, "name").c_str(), &path));
        return detail::take_string(path, OUTRIG_ERR_PANIC);
    }
    class logs logs(std::string_view id) const {
        outrig_logs *raw_logs = nullptr;
        detail::check(outrig_store_logs(raw(), detail::c_text(id, "id").c_str(), &raw_logs));
        return outrig::logs(raw_logs);
    }
    std::filesystem::path entry_path(std::string_view id) const {
        char *path = nullptr;
        detail::check(outrig_store_entry_path(raw(), detail::c_text(id, "id").c_str(), &path));
        return detail::take_string(path, OUTRIG_ERR_PANIC);
    }

private:
    explicit store(outrig_store *raw)
        : core_(std::make_shared<detail::store_core>(
              detail::store_core{nullptr, detail::owned<outrig_store, outrig_store_free>(raw)})) {}

    static bool dry(clean_mode mode) noexcept { return mode == clean_mode::dry_run; }

    static bool call_probe(void *userdata, const char *const *names, std::size_t count,
                           bool *running) noexcept {
        try {
            const auto &probe = *static_cast<const container_probe *>(userdata);
            std::vector<std::string> asked(names, names + count);
            std::optional<std::vector<std::string>> up = probe(asked);
            if (!up) {
                return false;
            }
            for (std::size_t i = 0; i < count; i++) {
                for (const auto &name : *up) {
                    running[i] = running[i] || name == asked[i];
                }
            }
            return true;
        } catch (...) {
            return false; // nothing may unwind into the library
        }
    }

    /// The handle and its probe, shared with the live_sessions this store created.
    std::shared_ptr<detail::store_core> core_;
};

/// A start time as `outrig ls` shows it (outrig_format_started_at).
inline std::string format_started_at(time_point t) {
    return detail::take_string(outrig_format_started_at(detail::to_ns(t)), OUTRIG_ERR_PANIC);
}

/// A duration as `outrig ls` shows it, in whole seconds rounded down (outrig_format_duration);
/// a negative one shows as zero.
inline std::string format_duration(std::chrono::nanoseconds d) {
    auto ns = d.count();
    return detail::take_string(outrig_format_duration(ns < 0 ? 0 : static_cast<std::uint64_t>(ns)),
                               OUTRIG_ERR_PANIC);
}

} // namespace outrig

#endif
