"""Pilot tests of the sort command, "mark below read" with its undo, and editing the config from
the app (issue 22). Keys are sent in one burst (as a fast hand or ``tmux send-keys -l`` sends
them) as well as one at a time."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

import newsreader.tui.screens.state as tui_state
from newsreader.model import View
from newsreader.tui.screens.main import MainScreen
from newsreader.tui.screens.modals import ChoicePrompt
from test_tui import palette
from test_tui_daily import burst
from tui_support import Harness, copy_seeds, press, run, settle


@pytest.fixture(autouse=True)
def _no_read_on_dwell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui_state, "READ_AFTER", 3600.0)


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(copy_seeds(tmp_path), tmp_path / "data")
    harness.app.config.path = tmp_path / "config.toml"
    return harness


def titles(h: Harness) -> list[str]:
    return [row.title for row in h.lib.rows(h.app.articles.rowids)]


# -- sort ---------------------------------------------------------------------------------------


def test_sort_typed_at_once_orders_the_list_and_is_saved(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        newest = titles(h)
        # O, then down twice past "Newest first" and "Oldest first" to "Title", Enter.
        await burst(pilot, "O", "j", "down", "enter")
        await settle(pilot)
        assert not isinstance(h.app.screen, ChoicePrompt)
        assert titles(h) == sorted(newest, key=str.casefold) != newest
        assert h.app.config.sort == "title"
        assert 'sort = "title"' in h.app.config.path.read_text()  # type: ignore[union-attr]
        assert any("Sorted: Title" in n for n in h.notes), h.notes
        assert str(h.app.articles.border_title) == "All · title"

    run(h, body)


def test_sort_typed_before_the_list_has_focus_and_o_in_the_search_box(h: Harness) -> None:
    """O, its moves and Enter in one burst from the reader: the moves reach the prompt, not
    the list; O typed in the search box is a letter."""

    async def body(pilot: Pilot[Any]) -> None:
        h.app.main.reader.focus()
        shown = h.current_id()
        await burst(pilot, "O", "j", "j", "j", "enter")
        assert h.app.config.sort == "source"
        assert h.current_id() == shown  # the j's moved the choice, not the list
        h.app.articles.focus()
        await burst(pilot, "slash", "O", "k")
        assert h.app.main.query_one("#search", Input).value == "Ok"
        assert h.app.config.sort == "source" and h.app.screen is h.app.main

    run(h, body)


def test_sort_from_the_palette_unread_first(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        newest = [r.id for r in h.lib.rows(h.app.articles.rowids)]
        h.lib.set_read(newest[:2], True)
        hits = await palette(h, pilot, "Sort")
        assert hits and hits[0].startswith("Sort"), hits
        await press(pilot, "enter")
        assert isinstance(h.app.screen, ChoicePrompt)
        await press(pilot, "end", "enter")  # the last choice: unread first
        assert [r.id for r in h.lib.rows(h.app.articles.rowids)] == newest[2:] + newest[:2]

    run(h, body)


def test_escape_leaves_the_sort_as_it_was(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        before = titles(h)
        await burst(pilot, "O", "j", "escape")
        assert titles(h) == before and h.app.config.sort == "newest"
        assert not h.app.config.path.exists()  # type: ignore[union-attr]

    run(h, body)


# -- mark below read, and undo ------------------------------------------------------------------


def test_shift_m_marks_the_cursor_row_and_below_read_and_u_undoes_it(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.list_ids()
        h.app.articles.focus()
        await burst(pilot, "j", "j", "M")
        await settle(pilot)
        assert h.current_id() == ids[2]
        assert sorted(h.lib.article_ids(View(unread=True))) == sorted(ids[:2])
        assert any("Marked 3 read" in n for n in h.notes), h.notes
        await burst(pilot, "U")
        assert sorted(h.lib.article_ids(View(unread=True))) == sorted(ids)

    run(h, body)


def test_shift_m_leaves_read_rows_out_of_the_undo(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.list_ids()
        h.lib.set_read([ids[4]], True)  # read before: U must not make it unread
        h.app.articles.focus()
        await burst(pilot, "j", "j", "j", "M")
        await burst(pilot, "U")
        assert set(h.lib.article_ids(View(unread=True))) == set(ids[:4])

    run(h, body)


# -- the config in $EDITOR ----------------------------------------------------------------------


EDITOR = """\
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
text = re.sub(r'(?m)^sort = .*$', 'sort = "oldest"', text)
text = text.replace("[keys]", '[keys]\\nlist_down = "ctrl+n,down"')
open(path, "w", encoding="utf-8").write(text)
"""


def test_edit_config_applies_what_the_editor_saved(
    h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR)
    monkeypatch.setenv("VISUAL", f"{sys.executable} {editor}")
    ran: list[list[str]] = []

    def hand_terminal(self: MainScreen, argv: list[str], text: str | None) -> str:
        """What App.suspend would run, without a terminal to hand over (Pilot has none)."""
        import subprocess

        ran.append(argv)
        return "" if subprocess.run(argv, check=False).returncode == 0 else "failed"

    monkeypatch.setattr(MainScreen, "hand_terminal", hand_terminal)

    async def body(pilot: Pilot[Any]) -> None:
        newest = titles(h)
        oldest = [r.title for r in h.lib.rows(h.lib.rowids(View(sort="oldest")))]
        assert oldest != newest
        await burst(pilot, "C")
        await settle(pilot)
        assert ran and ran[0][-1] == str(h.app.config.path)
        assert h.app.config.path.exists()  # type: ignore[union-attr]
        assert h.app.config.sort == "oldest"
        assert titles(h) == oldest
        assert any("Config applied" in n and "sort" in n and "keys" in n for n in h.notes), h.notes
        h.app.articles.focus()
        h.app.articles.cursor = 0
        await press(pilot, "ctrl+n")  # the new key moves the list
        assert h.app.articles.cursor == 1

    run(h, body)


def test_edit_config_with_no_editor_says_so(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")

    async def body(pilot: Pilot[Any]) -> None:
        await burst(pilot, "C")
        assert any("Set $EDITOR" in n for n in h.notes), h.notes

    run(h, body)
