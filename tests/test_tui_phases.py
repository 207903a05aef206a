"""The reader shows both phases of a two-phase index (issue 20): the status line says how many
articles are listed and how far their bodies are, and that search finds titles only meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message

from newsreader.library import bodies
from newsreader.library.library import Library, View
from newsreader.tui.messages import SyncFinished, SyncProgressed
from test_two_phase import make_folder
from tui_support import Harness, settle, wait_until


def status_texts(*kinds: type[Message]) -> tuple[list[str], Callable[[Message], None]]:
    """The texts of the status messages of these kinds the app posts, and the hook that keeps
    them (``run_test``'s ``message_hook``)."""
    told: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, kinds):
            told.append(message.text)  # type: ignore[attr-defined]

    return told, hook


def test_the_status_line_tells_the_listed_count_and_the_bodies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)
    h = Harness(make_folder(tmp_path), tmp_path / "data")
    told, hook = status_texts(SyncProgressed)

    async def main() -> Any:
        async with h.app.run_test(size=(120, 40), message_hook=hook) as pilot:
            await settle(pilot)

    try:
        asyncio.run(main())
        listed = h.lib.count(View())
    finally:
        h.lib.close()
    phases = [text for text in told if text.startswith("Listed ")]
    assert phases, told
    assert all("indexing bodies" in text and "titles only" in text for text in phases)
    assert phases[-1].startswith(f"Listed {listed:,} · indexing bodies 100%")


def test_after_a_big_index_the_reader_polishes_the_rough_bodies_in_idle_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)
    h = Harness(make_folder(tmp_path), tmp_path / "data")
    told, hook = status_texts(SyncProgressed, SyncFinished)

    async def main() -> Any:
        async with h.app.run_test(size=(120, 40), message_hook=hook) as pilot:
            assert await wait_until(pilot, lambda: h.lib.rough_bodies() == 0 and bool(told))
            await settle(pilot)
            assert h.lib.rough_bodies() == 0
            # the status line ends on the sync's result, not on a progress line
            assert "polishing" not in str(h.main.query_one("#status").render())

    try:
        asyncio.run(main())
    finally:
        h.lib.close()
    assert any("polishing bodies" in text for text in told), told


def test_bodies_left_rough_by_an_earlier_session_are_polished_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)
    folder, data = make_folder(tmp_path), tmp_path / "data"
    first = Library.open(folder, data)
    first.sync(workers=1)  # a session that ended before polishing
    assert first.rough_bodies() > 0
    first.close()
    h = Harness(folder, data)

    async def main() -> Any:
        async with h.app.run_test(size=(120, 40)) as pilot:
            assert await wait_until(pilot, lambda: h.lib.rough_bodies() == 0)

    try:
        asyncio.run(main())
    finally:
        h.lib.close()
