#!/usr/bin/env python3
"""Writes a session root through the Python module, for outrig-sessions' interop test.

    python3 cli/tests/make_python_root.py DIR

Makes DIR/root (which must not exist) with three sessions, as a Python launcher would:

- a finished auto session: started 2026-05-01T14:19:07Z, ran 6m02s, exit 0, image
  configuration "coding", agent "coder", sidecar "outrig-web", logs agent.log
  ("hello from python\\n") and tools/web.log (2048 bytes);
- a finished explicit session in DIR/explicit: started 2026-05-01T13:44:12Z, ran 1h05m28s,
  exit 3, no image configuration (tag localhost/outrig-research:41c0de);
- a running session started 2026-05-02T09:00:00Z.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import outrig


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} DIR", file=sys.stderr)
        return 2
    base = Path(argv[1])
    root = base / "root"
    if root.exists():
        print(f"{root} exists; remove it first", file=sys.stderr)
        return 1
    store = outrig.SessionStore(root)

    start = datetime(2026, 5, 1, 14, 19, 7, tzinfo=timezone.utc)
    done = store.create(
        container_name="outrig-py-1",
        image_tag="localhost/outrig-coding:d8aa33",
        working_dir="/home/me/repo",
        image_config_name="coding",
        agent_name="coder",
        sidecar_container_names=["outrig-web"],
        started_at=start,
    )
    store.log_path(done.id, "agent.log").write_text("hello from python\n")
    store.log_path(done.id, "tools/web.log").write_bytes(b"w" * 2048)
    store.finalize(done.id, 0, ended_at=start + timedelta(minutes=6, seconds=2))

    start = datetime(2026, 5, 1, 13, 44, 12, tzinfo=timezone.utc)
    explicit = store.create(
        container_name="outrig-py-2",
        image_tag="localhost/outrig-research:41c0de",
        working_dir="/home/me/repo",
        session_dir=base / "explicit",
        started_at=start,
    )
    store.finalize(explicit.id, 3, ended_at=start + timedelta(hours=1, minutes=5, seconds=28))

    store.create(
        container_name="outrig-py-3",
        image_tag="localhost/outrig-coding:d8aa33",
        working_dir="/home/me/repo",
        image_config_name="coding",
        started_at=datetime(2026, 5, 2, 9, 0, 0, tzinfo=timezone.utc),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
