"""What the command line prints for a list of articles: one line a row, or JSON Lines.

Kept out of ``cli`` (argument parsing and dispatch) so each stays a size one can read.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable
from typing import Any

from newsreader.ingest.sanitize import display_path

#: Articles a streamed command wrote: when damage met mid-stream sends the command round
#: again (``cli._dispatch`` sets the cache aside and reruns it), the second run writes only
#: the others.
written: set[str] = set()


def rows(rows: list[Any], snippets: bool = False) -> None:
    """One line per row (mark, date, title, source); with ``snippets``, its snippet below."""
    for row in rows:
        date = row.published.strftime("%Y-%m-%d") if row.published else "          "
        mark = "*" if row.starred else ("N" if not row.read else " ")
        print(f"{mark} {date}  {row.title}" + (f"  ({row.provider})" if row.provider else ""))
        if snippets and row.snippet:
            # The matches in [brackets], on one line under the title.
            text = " ".join(row.snippet.replace("\x02", "[").replace("\x03", "]").split())
            print(f"              {text}")


def lines(lines: Iterable[str]) -> None:
    """Lines as they come (``list``: see ``rows`` for what each says)."""
    write = sys.stdout.write
    for line in lines:
        write(line + "\n")


def json_lines(library: Any, rowids: list[int], query: str = "") -> None:
    """JSON Lines, streamed: each field read for all rows at once (see ``library.records``).

    The cyclic garbage collector is paused meanwhile: nothing here makes a cycle, and the
    side tables of a whole library are tens of thousands of lists and tuples, which it walked
    again and again (a tenth of the CPU of ``list --json`` at 20,000 articles)."""
    write = sys.stdout.write
    collecting = gc.isenabled()
    gc.disable()
    try:
        for article_id, line in library.json_lines(rowids, query, display_path):
            if article_id in written:
                continue  # written before damage met mid-stream sent the command round again
            written.add(article_id)
            write(line + "\n")
    finally:
        if collecting:
            gc.enable()
