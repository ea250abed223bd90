"""Prints lockstep's markdown report cut to at most LIMIT bytes of UTF-8 at a file boundary.

Usage: python3 shorten.py LIMIT FILE WHERE

The counts line and the sections (`### ` headings, one per file) that fit are kept whole; a
last line says how many sections were left out to fit WHERE and where the rest is. GitHub
drops a job summary over 1 MiB and refuses a comment over 65536 characters, so both are
shortened with this before they are sent.
"""

import re
import sys

NOTE_ROOM = 400  # bytes kept free for the closing note


def shorten(text: str, limit: int, where: str) -> str:
    if len(text.encode()) <= limit:
        return text
    budget = limit - NOTE_ROOM
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
    left = len(starts) - shown
    return (
        "".join(kept).rstrip("\n")
        + f"\n\n_{left} of {len(starts)} file sections left out to fit {where}: "
        + "the JSON report and the code scanning alerts have every finding._\n"
    )


if __name__ == "__main__":
    limit, path, where = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(path, encoding="utf-8") as report:
        sys.stdout.write(shorten(report.read(), limit, where))
