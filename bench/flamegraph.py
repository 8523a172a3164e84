"""Turns `perf script` output into folded stacks and a flame graph (SVG), with the standard
library only, so `make bench-profile` needs nothing beyond perf.

    perf record --call-graph dwarf -o DATA CMD...
    perf script -i DATA | python bench/flamegraph.py --title TITLE --folded OUT.folded OUT.svg

Frames are shortened to their function names (generic arguments and closures elided), so a
Rust frame reads like `outrig::store::list::load_entry`. The widths are sample counts; hover
over a frame for its count and share.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import zlib
from collections import Counter


def short(frame: str) -> str:
    """A frame's function, without its address, offset, module or generic arguments."""
    frame = re.sub(r"^\s*[0-9a-f]+\s+", "", frame)
    frame = re.sub(r"\s+\(.*\)$", "", frame)
    frame = re.sub(r"\+0x[0-9a-f]+$", "", frame)
    depth, out = 0, []
    for ch in frame:
        if ch == "<":
            depth += 1
            if depth == 1:
                out.append("<..>")
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    name = "".join(out).replace("<..>", "") or frame
    return name.replace(";", ":")


def fold(lines: list[str]) -> Counter[str]:
    """Folded stacks (root first, `;`-separated) of `perf script` samples, with their counts."""
    stacks: Counter[str] = Counter()
    comm, frames = "", []

    def flush() -> None:
        if comm:
            stack = [comm] + [f for f in reversed(frames) if f != "[unknown]"]
            stacks[";".join(stack)] += 1

    for line in lines:
        if not line.strip():
            flush()
            comm, frames = "", []
        elif not line[0].isspace():
            comm = line.split()[0]
        else:
            frames.append(short(line.strip()))
    flush()
    return stacks


def svg(stacks: Counter[str], title: str) -> str:
    """The flame graph of folded stacks: root at the bottom, one row per depth."""
    total = sum(stacks.values()) or 1
    tree: dict = {"n": 0, "kids": {}}
    for stack, count in stacks.items():
        node = tree
        node["n"] += count
        for frame in stack.split(";"):
            node = node["kids"].setdefault(frame, {"n": 0, "kids": {}})
            node["n"] += count

    def depth(node: dict) -> int:
        return 1 + max((depth(k) for k in node["kids"].values()), default=0)

    width, row, pad = 1200, 16, 30
    rows = depth(tree)
    height = rows * row + 2 * pad
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#fafafa"/>',
        f'<text x="10" y="20" font-size="14">{html.escape(title)} ({total} samples)</text>',
    ]

    def draw(node: dict, name: str, x: float, level: int) -> None:
        w = node["n"] / total * (width - 20)
        if w < 0.3:
            return
        y = height - pad - (level + 1) * row
        share = 100 * node["n"] / total
        hue = 20 + (zlib.crc32(name.encode()) % 40)  # stable across runs, unlike hash()
        label = name if len(name) * 7 < w else name[: max(0, int(w / 7) - 2)] + ".." if w > 21 else ""
        out.append(
            f'<g><title>{html.escape(name)}: {node["n"]} samples, {share:.1f}%</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="hsl({hue},85%,60%)"/>'
            f'<text x="{x + 2:.1f}" y="{y + row - 4}">{html.escape(label)}</text></g>'
        )
        for kid_name, kid in sorted(node["kids"].items()):
            draw(kid, kid_name, x, level + 1)
            x += kid["n"] / total * (width - 20)

    x = 10.0
    for name, kid in sorted(tree["kids"].items()):
        draw(kid, name, x, 0)
        x += kid["n"] / total * (width - 20)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", help="the SVG to write")
    ap.add_argument("--title", default="flame graph")
    ap.add_argument("--folded", help="also write the folded stacks here")
    args = ap.parse_args()
    stacks = fold(sys.stdin.read().splitlines())
    if args.folded:
        with open(args.folded, "w") as f:
            for stack, count in sorted(stacks.items()):
                f.write(f"{stack} {count}\n")
    with open(args.out, "w") as f:
        f.write(svg(stacks, args.title))


if __name__ == "__main__":
    main()
