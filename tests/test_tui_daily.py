"""Pilot tests of the reader for daily use (issue 22): keys typed in one burst, the read timer
against a manual mark, the reader after a rescan, reading keys, undo, sort and the hand-off to
other programs.

``burst`` posts every key at once, before the app has handled the first: what a fast hand or
``tmux send-keys -l`` does, which ``pilot.press`` (it waits after each key) never does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

import newsreader.tui.screens.state as tui_state
from newsreader.tui.screens.modals import NumberPrompt
from tui_support import Harness, copy_seeds, press, run, settle, write_article


@pytest.fixture(autouse=True)
def _no_read_on_dwell(monkeypatch: pytest.MonkeyPatch) -> None:
    """No read-on-dwell by default: a slow run would cross READ_AFTER at random."""
    monkeypatch.setattr(tui_state, "READ_AFTER", 3600.0)


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(copy_seeds(tmp_path), tmp_path / "data")


async def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Post every key before the app handles any, then settle."""
    app = pilot.app
    for key in keys:
        char = key if len(key) == 1 else ("\r" if key == "enter" else None)
        app.post_message(events.Key(key, char))
    await settle(pilot)


def links_folder(tmp_path: Path, count: int = 12) -> Path:
    folder = tmp_path / "links"
    folder.mkdir()
    body = "\n\n".join(f"[link {i}](https://example.com/{i})" for i in range(1, count + 1))
    write_article(folder, "a.md", title="Links", url="https://example.com/", body=body)
    return folder


# -- keys typed at once -------------------------------------------------------------------------


@pytest.mark.parametrize("keys", [("2", "3"), ("9", "9", "enter")], ids=["f23", "f99-enter"])
def test_digits_typed_at_once_after_f_close_the_prompt_once(
    tmp_path: Path, keys: tuple[str, ...]
) -> None:
    h = Harness(links_folder(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "enter")
        assert len(h.app.main.reader.links) == 12
        await press(pilot, "f")
        assert isinstance(h.app.screen, NumberPrompt)
        await burst(pilot, *keys)
        assert not isinstance(h.app.screen, NumberPrompt)
        assert h.app.screen is h.app.main
        assert h.app.return_code is None  # still running: no crash
        # 2 and 9 cannot be the start of a number up to 12: each follows at once.
        assert h.browser.calls == [f"https://example.com/{keys[0]}"]

    run(h, body)


def test_slash_and_a_word_at_once_reach_the_search_box(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await burst(pilot, "slash", *"clearview")
        search = h.app.query_one("#search", Input)
        assert search.value == "clearview"
        assert h.app.focused is search
        assert len(h.app.articles.rowids) == 2

    run(h, body)
