"""`make bench-ab BASE=REV`: the Rust face's listing of this build against another revision's,
in alternating fresh processes.

One run of `make bench` cannot tell a change of a few percent from noise: on a 2-core machine
one round's ratio of a 2-threaded listing to the 1-threaded floor moves by about ±0.1. Here
each round runs every command once, in an order drawn anew, each a fresh process started
right after an untimed floor listing of the root (the page cache warm, as `make bench` has
it). A command lists REPS times and prints one time per line: the first is its fresh figure,
the median of the others its warm one. Printed: each command's median times, and the medians
of its per-round ratios to the floor and to the first command.

    python bench/ab.py --floor BIN --root DIR [--cargo CARGO] [--rounds N] [--reps N]
                       [--base WORKTREE --base-target DIR] [NAME=COMMAND ...]

`--base` builds that worktree's Rust bench face (benches/store.rs, in every revision since the
listing was first measured) and compares its `list` (and `list_records`, where it has one)
with this build's. A NAME=COMMAND is split as a shell would and gets ROOT and REPS appended.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def store_bench(cargo: list[str], workdir: Path, target_dir: Path | None = None) -> str:
    """Builds the Rust bench face of the checkout at `workdir`; returns its executable."""
    env = dict(os.environ, **({"CARGO_TARGET_DIR": str(target_dir)} if target_dir else {}))
    out = subprocess.run(
        cargo + ["bench", "-q", "--bench", "store", "--no-run", "--message-format=json"],
        cwd=workdir, env=env, check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "store" \
                and msg.get("executable"):
            return str(msg["executable"])
    raise SystemExit(f"cargo built no store bench in {workdir}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--floor", required=True, help="bench/floor.c, built")
    ap.add_argument("--root", required=True, help="a session root (make bench writes some)")
    ap.add_argument("--cargo", default="cargo", help="the cargo command that builds the Rust faces")
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--base", type=Path, help="a worktree of the revision to compare with")
    ap.add_argument("--base-target", type=Path, help="where to build --base")
    ap.add_argument("commands", nargs="*", metavar="NAME=COMMAND")
    args = ap.parse_args()
    if not Path(args.root).is_dir():
        raise SystemExit(f"no session root at {args.root}: run `make bench` first, or name one")

    floor = shlex.split(args.floor)
    commands: dict[str, list[str]] = {}
    cargo = shlex.split(args.cargo)
    mine = store_bench(cargo, HERE.parent)
    if args.base:
        base = store_bench(cargo, args.base, args.base_target)
        commands["base list"] = [base, "list"]
        if "list_records" in (args.base / "benches" / "store.rs").read_text():
            commands["base list_records"] = [base, "list_records"]
    commands["list"] = [mine, "list"]
    commands["list_records"] = [mine, "list_records"]
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not command:
            raise SystemExit(f"{spec!r}: write NAME=COMMAND")
        commands[name] = shlex.split(command)

    names = ["floor", *commands]
    commands["floor"] = floor + ["list"]
    fresh: dict[str, list[float]] = {n: [] for n in names}
    warm: dict[str, list[float]] = {n: [] for n in names}
    order = random.Random(1)
    for r in range(args.rounds):
        for name in order.sample(names, len(names)):
            subprocess.run(floor + ["list", args.root, "1"], check=True, stdout=subprocess.DEVNULL)
            out = subprocess.run(commands[name] + [args.root, str(args.reps)], check=True,
                                 capture_output=True, text=True).stdout
            times = [float(line.split()[0]) for line in out.splitlines() if line.strip()]
            if len(times) != args.reps:
                raise SystemExit(f"{name}: printed {len(times)} times, not {args.reps}")
            fresh[name].append(times[0])
            warm[name].append(statistics.median(times[1:]) if len(times) > 1 else times[0])
        if sys.stderr.isatty():
            print(f"round {r + 1} of {args.rounds}", end="\r", file=sys.stderr, flush=True)

    def per_round(a: list[float], b: list[float]) -> float:
        return statistics.median(x / y for x, y in zip(a, b))

    first = names[1]
    print(f"{args.rounds} rounds of {args.root}, {args.reps} listings a process; ratios are "
          f"medians of per-round ratios (fresh [warm])\n")
    print(f"| command | fresh | warm | / floor | / {first} |")
    print("|---|---|---|---|---|")
    for n in names:
        print(f"| {n} | {statistics.median(fresh[n]) * 1e3:.2f} ms | {statistics.median(warm[n]) * 1e3:.2f} ms "
              f"| {per_round(fresh[n], fresh['floor']):.3f} [{per_round(warm[n], warm['floor']):.3f}] "
              f"| {per_round(fresh[n], fresh[first]):.3f} [{per_round(warm[n], warm[first]):.3f}] |")


if __name__ == "__main__":
    main()
