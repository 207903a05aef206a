"""What the list says while the library is still loading (issue 22): a first start on a folder
whose files are still being read says so, instead of "No articles yet."; an empty folder says
"No articles yet." once the scan is over. Also a snapshot of that state."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from newsreader.library.library import Library
from newsreader.tui.app import NewsReaderApp
from tui_support import Harness, copy_seeds, run, settle

READING = "Reading the folder"


class HeldSync:
    """Library.sync that reports progress, then waits until released (a first sync of a big
    folder, stopped in the middle so the test can look at the screen)."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.real = lib.sync
        self.release = threading.Event()
        self.started = threading.Event()

    def __call__(self, progress: Any = None, *args: Any, **kwargs: Any) -> Any:
        if progress is not None:
            progress(2, 5, "parsing")
        self.started.set()
        self.release.wait(10)
        return self.real(progress, *args, **kwargs)


def test_a_first_start_says_the_folder_is_being_read(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")
    held = HeldSync(h.lib)
    h.lib.sync = held  # type: ignore[method-assign]

    async def body(pilot: Pilot[Any]) -> None:
        for _ in range(200):
            await pilot.pause(0.01)
            if held.started.is_set() and h.app.articles.empty_message.startswith(READING):
                break
        assert h.app.articles.rowids == []
        assert h.app.articles.empty_message.startswith(READING), h.app.articles.empty_message
        held.release.set()
        await settle(pilot)
        assert len(h.app.articles.rowids) == 5

    async def main() -> None:
        async with h.app.run_test(size=(120, 40)) as pilot:
            await body(pilot)

    try:
        asyncio.run(main())
    finally:
        held.release.set()
        h.lib.close()


def test_an_empty_folder_says_no_articles_yet_after_the_scan(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert h.app.articles.empty_message == "No articles yet."

    run(h, body)


@pytest.fixture
def loading(tmp_path: Path) -> Any:
    lib = Library.open(copy_seeds(tmp_path), tmp_path / "data")
    held = HeldSync(lib)
    lib.sync = held  # type: ignore[method-assign]
    yield NewsReaderApp(lib), held
    held.release.set()
    lib.close()


def test_snapshot_library_still_loading(snap_compare: Any, loading: Any) -> None:
    app, held = loading

    async def before(pilot: Any) -> None:
        for _ in range(300):
            await pilot.pause(0.01)
            if held.started.is_set() and app.articles.empty_message.startswith(READING):
                break
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(100, 30), run_before=before)


def test_the_status_line_names_only_what_happened() -> None:
    from newsreader.library.sync import SyncReport
    from newsreader.tui.screens.state import status_line

    line = status_line(SyncReport(unchanged=20000, skipped=133, seconds=2.58), 133)
    assert line == "20,000 unchanged · 133 skipped: press P (2.6 s)"
    assert len(line) < 80  # the whole of it shows at 80 columns
    assert status_line(SyncReport(added=5, seconds=0.2), 0) == "5 added (0.2 s)"
    assert status_line(SyncReport(), 0) == "No articles in the folder (0.0 s)"


def test_problems_are_named_relative_to_the_folder(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")
    (h.folder / "sub").mkdir()
    (h.folder / "sub" / "binary.txt").write_bytes(bytes(range(256)) * 8)

    async def body(pilot: Pilot[Any]) -> None:
        from newsreader.tui.screens.modals import ProblemsScreen
        from tui_support import press, screen_text

        await press(pilot, "P")
        assert isinstance(h.app.screen, ProblemsScreen)
        text = screen_text(h.app)
        assert "sub/binary.txt" in text
        assert str(h.folder / "sub") not in text  # not the whole path again on every line
        assert f"in {h.folder}" in text

    run(h, body)


def test_a_branch_of_many_entries_starts_closed(tmp_path: Path) -> None:
    """173 stories open at the top of the tree hid every other branch: a branch with more than
    OPEN_MAX entries starts closed (and stays so: the user's choice is kept from then on)."""
    from newsreader.model import View
    from newsreader.tui.widgets.topic_tree import OPEN_MAX, TopicTree, TreeContents, TreeData

    empty = tmp_path / "empty"
    empty.mkdir()
    h = Harness(empty, tmp_path / "data")  # no branch yet that the user could have opened

    async def body(pilot: Pilot[Any]) -> None:
        many = [(f"story {i}", TreeData(View(story=str(i)), f"Story {i}")) for i in range(30)]
        assert len(many) > OPEN_MAX
        h.app.main.tree_contents = TreeContents(
            {"all": 5, "unread": 5, "starred": 0}, [], [], [], [("Stories", many)]
        )
        await settle(pilot)
        tree = h.app.main.query_one(TopicTree)
        opened = {str(n.label).split(" (")[0]: n.is_expanded for n in tree.root.children}
        assert opened["Stories"] is False, opened
        h.app.main.tree_contents = TreeContents(
            {"all": 5, "unread": 5, "starred": 0}, [], [], [], [("Stories", many[:OPEN_MAX])]
        )
        await settle(pilot)
        opened = {str(n.label).split(" (")[0]: n.is_expanded for n in tree.root.children}
        assert opened["Stories"] is False, opened  # as the user last saw it, not re-opened

    run(h, body)


def test_the_reader_follows_an_article_whose_id_a_rescan_changed(tmp_path: Path) -> None:
    """An article with no URL is named by its text: an edit gives it a new id. The reader that
    showed it shows the new text, and m then marks the article under its new id (it toggled the
    old id, which no longer exists)."""
    from newsreader.model import View
    from tui_support import press, write_article

    folder = tmp_path / "news"
    folder.mkdir()
    para = "The council met on Tuesday to discuss the flood defences along the river bank."
    write_article(folder, "a.md", title="Alpha", body=f"{para}\n\n{para}")
    write_article(folder, "b.md", title="Beta", body=f"Another story. {para}", date="2021-01-01")
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        h.app.articles.focus()
        await press(pilot, "enter")  # open Alpha (newest first), which marks it read
        old = h.app.main.article
        assert old is not None and old.title == "Alpha"
        write_article(folder, "a.md", title="Alpha", body=f"{para}\n\nA new last paragraph here.")
        await press(pilot, "r")
        await settle(pilot)
        new_id = h.lib.article_ids(View(query="Alpha"))[0]
        assert new_id != old.id
        shown = h.app.main.article
        assert shown is not None and shown.id == new_id and "new last paragraph" in shown.body
        assert h.lib.is_read(new_id)  # the mark followed the edit
        h.app.main.reader.focus()
        await press(pilot, "m")
        assert not h.lib.is_read(new_id)

    run(h, body)
