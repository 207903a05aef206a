"""Pilot tests of the widgets (issue 22): reader keys, list rows in terminal cells, paths shown
safely, the smallest layout. Keys are typed without pauses, as a fast hand types them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

import newsreader.tui.screens.state as tui_state
from newsreader.tui.widgets.reader import ReaderView
from tui_support import Harness, run, settle, write_article


@pytest.fixture(autouse=True)
def _no_read_on_dwell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui_state, "READ_AFTER", 3600.0)


def long_article(tmp_path: Path) -> Harness:
    folder = tmp_path / "news"
    folder.mkdir()
    body = "\n\n".join(f"Paragraph {i} of a long article." for i in range(200))
    write_article(folder, "long.md", title='"A long read"', body=body)
    return Harness(folder, tmp_path / "data")


def test_reader_scrolls_with_vim_keys_typed_without_pauses(tmp_path: Path) -> None:
    h = long_article(tmp_path)

    async def body(pilot: Pilot[Any]) -> None:
        reader = h.app.main.query_one(ReaderView)
        reader.focus()
        await settle(pilot)
        assert reader.scroll_y == 0 and reader.max_scroll_y > 50
        await pilot.press("j", "j", "j", "k")
        assert reader.scroll_y == 2
        await pilot.press("G")
        assert reader.scroll_y == reader.max_scroll_y
        await pilot.press("g")
        assert reader.scroll_y == 0
        half = reader.scrollable_content_region.height // 2
        await pilot.press("ctrl+d", "ctrl+d")
        assert reader.scroll_y == 2 * half
        await pilot.press("ctrl+u")
        assert reader.scroll_y == half

    run(h, body)
