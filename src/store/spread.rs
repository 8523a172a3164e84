//! Work spread over the cores in shares: the calling thread takes the first share, and one
//! scoped thread is started for each other one, when the system lets it start one.

use std::thread;

/// `work(first, share)` for each share of `items` (`share_len` items each, the last perhaps
/// fewer), where `first` is the index in `items` of the share's first item; the results in
/// the order of the shares.
///
/// The calling thread does the first share while one thread does each other share. A share
/// whose thread cannot be started is done on the calling thread afterwards: a process at its
/// limit of threads (`RLIMIT_NPROC`, a container's `pids.max`: `EAGAIN`) gets a slower answer,
/// never a failure, and never a panic in the caller's program, which is what
/// [`std::thread::Scope::spawn`] would give it. A panic in a share is resumed on the calling
/// thread.
pub(crate) fn per_share<T: Sync, R: Send>(
    items: &[T],
    share_len: usize,
    work: impl Fn(usize, &[T]) -> R + Sync,
) -> Vec<R> {
    let share_len = share_len.max(1);
    let work = &work;
    let mut shares = items
        .chunks(share_len)
        .enumerate()
        .map(|(k, share)| (k * share_len, share));
    let Some((own_first, own)) = shares.next() else {
        return Vec::new();
    };
    thread::scope(|scope| {
        let others: Vec<_> = shares
            .map(|(first, share)| {
                thread::Builder::new()
                    .spawn_scoped(scope, move || work(first, share))
                    .map_err(|_| (first, share))
            })
            .collect();
        let mut done = Vec::with_capacity(others.len() + 1);
        done.push(work(own_first, own));
        for other in others {
            done.push(match other {
                Ok(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread could be started for it: this thread does it.
                Err((first, share)) => work(first, share),
            });
        }
        done
    })
}

#[cfg(test)]
mod tests {
    use super::per_share;

    #[test]
    fn every_share_is_done_once_in_order_with_its_first_index() {
        let items: Vec<usize> = (0..1000).collect();
        for share_len in [1, 7, 250, 999, 1000, 5000] {
            let got = per_share(&items, share_len, |first, share| {
                assert_eq!(share[0], first, "the index of the share's first item");
                share.to_vec()
            });
            assert_eq!(got.len(), items.len().div_ceil(share_len));
            assert_eq!(got.concat(), items, "share length {share_len}");
        }
        let none: Vec<Vec<usize>> = per_share(&[], 4, |_, s: &[usize]| s.to_vec());
        assert!(none.is_empty());
    }

    #[test]
    #[should_panic(expected = "share 3")]
    fn a_panic_in_another_threads_share_reaches_the_caller() {
        let items: Vec<usize> = (0..40).collect();
        per_share(&items, 10, |first, _| {
            if first == 30 {
                panic!("share {}", first / 10);
            }
        });
    }
}
