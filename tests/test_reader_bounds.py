"""Long lists and tables are drawn bounded (issue 16 item 6): the reader's Markdown widget lays
out on the UI thread, and a 2,000-item list froze it for 16.8 s, every key waiting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock

from newsreader.tui.widgets.reader import MAX_DISPLAY, MAX_DISPLAY_LINES, displayed_part
from tui_support import Harness, press, run, write_article

LIST = "\n".join(f"- item number {i}, with a few words" for i in range(2000))
TABLE = "| name | value |\n|---|---|\n" + "\n".join(f"| row {i} | {i * 7} |" for i in range(2000))


@pytest.mark.parametrize("body", [LIST, TABLE], ids=["list", "table"])
def test_displayed_part_stops_at_the_line_cap(body: str) -> None:
    text, more = displayed_part(body)
    assert len(text.splitlines()) == MAX_DISPLAY_LINES
    assert body.startswith(text) and more == len(body) - len(text)


def test_displayed_part_keeps_a_short_body_whole_and_cuts_long_prose_by_characters() -> None:
    short = "One paragraph.\n\nAnother one."
    assert displayed_part(short) == (short, 0)
    prose = "\n\n".join(["A long paragraph of words, " * 40] * 120)
    text, more = displayed_part(prose)
    assert len(text) <= MAX_DISPLAY and more == len(prose) - len(text) > 0


@pytest.mark.parametrize("body", [LIST, TABLE], ids=["list", "table"])
def test_a_huge_list_or_table_is_drawn_capped_and_says_how_to_get_it_whole(
    tmp_path: Path, body: str
) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    write_article(folder, "long.md", title="Long", url="https://example.com/long", body=body)
    h = Harness(folder, tmp_path / "data")

    async def check(pilot: Pilot[Any]) -> None:
        app = h.app
        app.articles.cursor = 0
        await press(pilot, "enter", "j", "k")
        markdown = app.query_one("#body", Markdown)
        assert "goes on for" in markdown.source and "press e to export it whole" in markdown.source
        assert "row 1999" not in markdown.source and "item number 1999" not in markdown.source
        # The widget holds blocks for the drawn part only (one per item, or one table).
        assert len(list(markdown.query(MarkdownBlock))) < MAX_DISPLAY_LINES * 3
        assert app.is_running

    run(h, check)
