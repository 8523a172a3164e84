//! The container probe from C: a callback with its `userdata`, or none, given to a copy of a
//! store (stores are shared between threads as `const outrig_store *`, so they are never
//! changed in place).

use std::ffi::{CString, c_char, c_void};

use super::error::outrig_status;
use super::handle::{self, outrig_store};
use super::store::StoreHandle;
use crate::ContainerProbe;

/// A container probe: tells which of `count` container names (`names[0]` to
/// `names[count - 1]`, NUL-terminated, borrowed for the call) run now. On entry every
/// `running[i]` is false; set `running[i]` to true for each name that runs, and return true.
/// Return false when it cannot tell (the engine is not reachable, say): the sessions asked
/// about are then `OUTRIG_STATE_UNKNOWN`, and a clean keeps them.
///
/// It gets the `userdata` given to `outrig_store_with_container_probe`. It is called at most
/// once per store operation, with every name that operation needs, on the thread of that
/// operation: any thread that uses the store, and several at once when several threads use it.
/// It must not unwind (`longjmp`, C++ exceptions) out of the call, and must not free the store
/// it is called for.
pub type outrig_container_probe = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        names: *const *const c_char,
        count: usize,
        running: *mut bool,
    ) -> bool,
>;

/// The caller's callback and its `userdata`, as the core's probe holds them.
struct Callback {
    call: unsafe extern "C" fn(*mut c_void, *const *const c_char, usize, *mut bool) -> bool,
    userdata: *mut c_void,
}

// SAFETY: the header makes the callback and its userdata usable from any thread at once
// (outrig_container_probe, outrig_store_with_container_probe): the caller promised it.
unsafe impl Send for Callback {}
// SAFETY: as for Send.
unsafe impl Sync for Callback {}

impl Callback {
    /// Of `names`, the ones the callback says run; `None` when it cannot tell.
    fn running(&self, names: &[String]) -> Option<Vec<String>> {
        // A name holding a NUL byte (a record can carry one) cannot be passed to C; no engine
        // can run a container by that name either, so it counts as not running.
        let passed: Vec<(&String, CString)> = names
            .iter()
            .filter_map(|n| CString::new(n.as_str()).ok().map(|c| (n, c)))
            .collect();
        let pointers: Vec<*const c_char> = passed.iter().map(|(_, c)| c.as_ptr()).collect();
        let mut running = vec![false; pointers.len()];
        // SAFETY: the pointers are valid C strings for the call, running has one writable
        // element per name, and the callback's contract is the caller's.
        let told = unsafe {
            (self.call)(
                self.userdata,
                pointers.as_ptr(),
                pointers.len(),
                running.as_mut_ptr(),
            )
        };
        told.then(|| {
            passed
                .into_iter()
                .zip(running)
                .filter(|(_, runs)| *runs)
                .map(|((name, _), _)| name.clone())
                .collect()
        })
    }
}

/// Makes `*out` a new store on the same root as `store` (with its other settings) that tells
/// whether sessions' containers run with `probe`, called with `userdata`; free it with
/// `outrig_store_free`. `store` itself is not changed, so other threads may keep using it.
///
/// Which probe to pass: a store from `outrig_store_open*` uses the engine probe, the one
/// outrig uses: it spawns `podman ps -a --format json`, found on `PATH`, as a child process of
/// the caller, in a process group of its own and with no descriptor of the caller but 0, 1 and
/// 2 (waited for by its pid only, at most 5 seconds in all, reading included; killed and
/// reaped on every path; any failure is "cannot tell", which keeps sessions from removal;
/// when no podman is installed no container of outrig's can run here, so none runs). A
/// launcher that knows better (it runs its containers through an API, or must not spawn)
/// passes its own `probe`; NULL `probe` means none: containers are never asked about, and an
/// unfinalized session nobody leases is then `OUTRIG_STATE_UNKNOWN`, which a clean keeps and
/// only `outrig_store_remove_forced` removes.
///
/// `probe` may be called from any thread that uses the new store (or a store made from it),
/// at once from several, so it and `userdata` must be safe to use that way. `userdata` is
/// passed as it is and never freed: keep what it points to alive until every store made with
/// it is freed. It is ignored when `probe` is NULL.
///
/// Errors: `OUTRIG_ERR_INVALID_ARGUMENT` (`store` or `out` NULL). `*out` is untouched on error.
///
/// # Safety
/// `store` is NULL or a live store; `out` is NULL or writable; `probe` is NULL or a function
/// that keeps the contract of `outrig_container_probe` with `userdata` for as long as any store
/// made with it lives.
#[must_use = "the status says whether it worked"]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn outrig_store_with_container_probe(
    store: *const outrig_store,
    probe: outrig_container_probe,
    userdata: *mut c_void,
    out: *mut *mut outrig_store,
) -> outrig_status {
    ffi_boundary! {
        let store = arg_ref!(store, "store");
        let out = out_ptr!(out, "out");
        let probe = match probe {
            None => ContainerProbe::none(),
            Some(call) => {
                let callback = Callback { call, userdata };
                ContainerProbe::custom(move |names| callback.running(names))
            }
        };
        let copy = store.store().clone().with_container_probe(probe);
        out.write(handle::into_raw(StoreHandle::new(copy)?));
        Ok(outrig_status::OUTRIG_OK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    /// Says the names that start with "up" run; "cannot tell" when asked about "unknown".
    unsafe extern "C" fn probe(
        userdata: *mut c_void,
        names: *const *const c_char,
        count: usize,
        running: *mut bool,
    ) -> bool {
        // SAFETY: the library passes count valid names and count writable flags; userdata is
        // the test's counter.
        unsafe {
            *userdata.cast::<usize>() += 1;
            for i in 0..count {
                let name = CStr::from_ptr(*names.add(i)).to_str().unwrap();
                assert!(!*running.add(i), "flags start false");
                if name == "unknown" {
                    return false;
                }
                *running.add(i) = name.starts_with("up");
            }
        }
        true
    }

    #[test]
    fn a_callback_answers_for_the_names_it_can_see() {
        let mut calls = 0usize;
        let callback = Callback {
            call: probe,
            userdata: std::ptr::from_mut(&mut calls).cast(),
        };
        let names = ["up-1", "down", "up\0nul", "up-2"].map(String::from);
        assert_eq!(
            callback.running(&names),
            Some(vec!["up-1".to_owned(), "up-2".to_owned()])
        );
        assert_eq!(callback.running(&["unknown".to_owned()]), None);
        assert_eq!(callback.running(&[]), Some(vec![]));
        assert_eq!(calls, 3);
    }
}
