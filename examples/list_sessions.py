#!/usr/bin/env python3
"""Lists the sessions of a root the way `outrig ls` does.

    python3 examples/list_sessions.py [ROOT]

ROOT defaults to outrig's own session root. Columns: ID, STARTED (UTC), DURATION, IMAGE (the
image configuration's name, else the image tag), EXIT; `-` marks a value a running session does
not have yet, and `-> target` follows an explicit session's link. Entries whose record cannot be
read are reported on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import outrig

HEADER = ("ID", "STARTED", "DURATION", "IMAGE", "EXIT")


def row(s: outrig.Session) -> tuple[str, str, str, str, str]:
    """The columns of one session."""
    duration = "-" if s.duration is None else outrig.format_duration(s.duration)
    image = s.image_config_name or s.image_tag
    exit_code = "-" if s.exit_code is None else str(s.exit_code)
    return (s.id, outrig.format_started_at(s.started_at), duration, image, exit_code)


def main(argv: Sequence[str]) -> int:
    if len(argv) > 2:
        print(f"usage: {argv[0]} [ROOT]", file=sys.stderr)
        return 2
    try:
        store = outrig.SessionStore(argv[1] if len(argv) == 2 else None)
        listing = store.list()
    except outrig.OutrigError as e:
        print(f"list_sessions: {e}", file=sys.stderr)
        return 1

    rows = [row(s) for s in listing]
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    print(f"# {len(listing)} session(s) under {store.root}")
    for cells, s in zip([HEADER, *rows], [None, *listing]):
        line = "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        if s is not None and s.link_target is not None:
            line += f"  -> {s.link_target}"
        print(line)
    for skipped in listing.skipped:
        print(f"skipped {skipped.entry}: {skipped.reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
