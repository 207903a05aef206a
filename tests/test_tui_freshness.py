"""An open reader shows what another program indexed (issue 16 item 14), without ``r``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from newsreader.tui.screens import freshness
from tui_support import Harness, copy_seeds, plain, run, settle, write_article

#: Seconds a test waits at most for the poll to see a change.
WAIT = 15.0


@pytest.fixture(autouse=True)
def fast_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "POLL_EVERY", 0.1)


def index_elsewhere(folder: Path, data: Path) -> None:
    """``newsreader index`` on the folder, in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-m", "newsreader", "index", str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, "NEWSREADER_DATA_DIR": str(data)},
        timeout=120,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr


async def wait_for(pilot: Pilot[Any], predicate: Any) -> bool:
    """Let the app run (its poll timer fires in real time) until ``predicate()`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while loop.time() < deadline:
        if predicate():
            return True
        await pilot.pause(0.05)
    return bool(predicate())


def test_the_list_grows_when_another_process_indexes(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        assert len(h.app.articles.rowids) == 5
        await pilot.press("j", "j")
        kept = h.current_id()
        for n in range(3):
            write_article(h.folder, f"new-{n}.md", title=f"Indexed elsewhere {n}", body="Words.")
        await asyncio.to_thread(index_elsewhere, h.folder, h.data)
        assert await wait_for(pilot, lambda: len(h.app.articles.rowids) == 8)
        await settle(pilot)
        assert h.current_id() == kept  # the place in the list is kept
        titles = [r.title for r in h.lib.rows(h.app.articles.rowids)]
        assert "Indexed elsewhere 0" in titles
        assert "another program" in plain(h.main.query_one("#status"))  # type: ignore[arg-type]

    run(h, body)


def test_the_apps_own_sync_and_marks_do_not_count_as_another_process(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")
    reloads: list[int] = []

    async def body(pilot: Pilot[Any]) -> None:
        original = h.main.reload

        def counted() -> None:
            reloads.append(1)
            original()

        h.main.reload = counted  # type: ignore[method-assign]
        # Let a few polls take the baseline, then mark, star and rescan (nothing changed).
        await wait_for(pilot, lambda: h.main._data_version is not None)
        await pilot.press("m", "s", "r")
        await settle(pilot)
        write_article(h.folder, "own.md", title="Found by our own rescan", body="Words.")
        await pilot.press("r")
        await settle(pilot)
        assert len(h.app.articles.rowids) == 6
        own = len(reloads)  # the rescan that added one reloads once, itself
        generation = h.main._generation
        await wait_for(pilot, lambda: h.main._data_version is not None)
        for _ in range(5):  # several polls after the baseline
            started = h.main._data_version
            await pilot.pause(0.15)
            assert h.main._data_version == started
        assert len(reloads) == own and h.main._generation == generation

    run(h, body)
