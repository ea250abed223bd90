"""Prints lockstep's markdown report cut to at most LIMIT bytes of UTF-8.

Usage: python3 shorten.py LIMIT FILE WHERE

The files of phased plans go first, from the last: each plan keeps the `lockstep plan`
command that prints them, and its block says what was left out. When that is not enough,
the report is cut at a file boundary: the counts line and the sections (`### ` headings,
one per file) that fit are kept whole. A last line says what was left out to fit WHERE and
where the rest is. GitHub drops a job summary over 1 MiB and refuses a comment over 65536
characters, so both are shortened with this before they are sent.
"""

import re
import sys

NOTE_ROOM = 400  # bytes kept free for the closing note

# The first and last line of a plan's files in lockstep's markdown report
# (src/report/markdown.rs): every line of the files between them is indented deeper, so no
# line of a migration's SQL reads as either.
PLAN_START = "    <details><summary>The plan: "
PLAN_END = "    </details>\n"


def plan_blocks(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of each plan's files, first to last."""
    blocks, start, offset = [], None, 0
    for line in text.splitlines(keepends=True):
        if start is None and line.startswith(PLAN_START):
            start = offset
        elif start is not None and line == PLAN_END:
            blocks.append((start, offset + len(line)))
            start = None
        offset += len(line)
    return blocks


def without_plans(text: str, budget: int, where: str) -> tuple[str, int, int]:
    """`text` with the files of its last plans left out until it fits `budget` (or none
    are left), and how many plans it had and how many lost their files."""
    blocks = plan_blocks(text)
    placeholder = f"    _The files are left out to fit {where}: the command above prints them._\n"
    size = len(text.encode())
    first_dropped = len(blocks)
    while first_dropped > 0 and size > budget:
        first_dropped -= 1
        start, end = blocks[first_dropped]
        size -= len(text[start:end].encode()) - len(placeholder.encode())
    # Joined once: a report holds thousands of plans.
    pieces, last = [], 0
    for start, end in blocks[first_dropped:]:
        pieces += [text[last:start], placeholder]
        last = end
    pieces.append(text[last:])
    return "".join(pieces), len(blocks), len(blocks) - first_dropped


def cut_at_file(text: str, budget: int) -> tuple[str, int, int]:
    """The counts and the whole file sections of `text` that fit `budget`, and how many
    sections there were and were left out."""
    starts = [m.start() + 1 for m in re.finditer(r"\n### ", text)]
    head_end = starts[0] if starts else len(text)
    kept, size = [], 0
    # The counts come first; when even they do not fit, whole lines of them.
    for line in text[:head_end].splitlines(keepends=True):
        line_size = len(line.encode())
        if size + line_size > budget:
            break
        kept.append(line)
        size += line_size
    shown = 0
    for start, end in zip(starts, starts[1:] + [len(text)]):
        section_size = len(text[start:end].encode())
        if size + section_size > budget:
            break
        kept.append(text[start:end])
        size += section_size
        shown += 1
    return "".join(kept), len(starts), len(starts) - shown


def shorten(text: str, limit: int, where: str) -> str:
    if len(text.encode()) <= limit:
        return text
    budget = limit - NOTE_ROOM
    text, plans, plans_left = without_plans(text, budget, where)
    notes = []
    if plans_left:
        notes.append(
            f"the files of {plans_left} of {plans} phased plans left out to fit {where} "
            "(`lockstep plan`, the command beside each, prints them)"
        )
    if len(text.encode()) > budget:
        text, sections, sections_left = cut_at_file(text, budget)
        notes.append(
            f"{sections_left} of {sections} file sections left out to fit {where}: "
            "the JSON report and the code scanning alerts have every finding"
        )
    note = "; ".join(notes)
    return text.rstrip("\n") + f"\n\n_{note[0].upper()}{note[1:]}._\n"


if __name__ == "__main__":
    limit, path, where = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(path, encoding="utf-8") as report:
        sys.stdout.write(shorten(report.read(), limit, where))
