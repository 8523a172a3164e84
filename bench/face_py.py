"""The Python faces of `make bench`'s listing, each run as a fresh process (as a script lists).

    python bench/face_py.py python ROOT N   N listings through the module (`import outrig`)
    python bench/face_py.py plain ROOT N    N listings through plain_store.py (json, os.scandir)

Each listing makes the store, lists the root and reads every field `outrig-sessions ls`
prints (id, start, end, exit code, image config, link target), and prints its seconds on a
line of its own: the first line is the fresh process's listing (the import is not timed).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    face, root, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if face == "python":
        import outrig

        def once() -> int:
            n = 0
            for s in outrig.SessionStore(root).list():
                s.id, s.started_at, s.ended_at, s.exit_code, s.image_config_name, s.link_target
                n += 1
            return n
    elif face == "plain":
        from plain_store import PlainStore

        def once() -> int:
            n = 0
            for r in PlainStore(root).list():
                r["id"], r["started_at"], r.get("ended_at"), r.get("exit_code")
                r.get("image_config_name"), r.get("link_target")
                n += 1
            return n
    else:
        sys.exit(f"unknown face {face!r}: python or plain")
    for _ in range(reps):
        t0 = time.perf_counter()
        once()
        print(f"{time.perf_counter() - t0:.9f}", flush=True)


if __name__ == "__main__":
    main()
