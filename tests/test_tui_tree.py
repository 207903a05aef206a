"""Pilot tests of the topic tree: the Feeds branch (issue 18) and saved searches that can be
counted, deleted and renamed (issue 22 defect 7).

Feeds are made without a network: a subscriptions file, item files in each feed's folder as a
fetch writes them, and a fetch state that records one feed's last error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from newsreader.feeds.opml import Subscription, save_subscriptions
from newsreader.feeds.store import FeedRecord, FeedState, feed_folder
from newsreader.tui.screens.modals import TextPrompt
from newsreader.tui.screens.tree_actions import ConfirmPrompt
from newsreader.tui.tree_contents import fetch_state_path
from newsreader.tui.widgets.topic_tree import TopicTree, TreeData
from tui_support import Harness, copy_seeds, plain, press, run, screen_text, settle, write_article

TWO = "https://two.example/feed.xml"
BROKEN = "https://broken.example/rss"
ERROR = "HTTPStatusError: the server answered 500 Internal Server Error for /rss, every time"


def with_feeds(tmp_path: Path) -> Path:
    """The seeds, two subscriptions (one with two items, one failing with none), and a third
    item in a folder no subscription names."""
    folder = copy_seeds(tmp_path)
    save_subscriptions(folder, [Subscription(TWO, "Two News"), Subscription(BROKEN, "Broken")])
    two = feed_folder(folder, TWO)
    two.mkdir(parents=True)
    for n, title in ((1, "Koalas sleep twenty hours"), (2, "Second story")):
        write_article(
            two,
            f"{n}.md",
            title=f'"{title}"',
            url=f'"https://two.example/{n}"',
            body=f"Item {n} of the feed.",
            extra=f'feedUrl: "{TWO}"',
        )
    state = FeedState(folder, tmp_path / "data")
    state.save_record(FeedRecord(BROKEN, last_error=ERROR))
    state.close()
    return folder


def tree_of(h: Harness) -> TopicTree:
    return h.app.query_one(TopicTree)


def label(h: Harness, name: str) -> str:
    node = tree_of(h).node_named(name)
    assert node is not None, name
    return str(node.label)


def branches(h: Harness) -> list[str]:
    return [str(n.label) for n in tree_of(h).root.children if n.data is None]


async def choose(pilot: Pilot[Any], h: Harness, name: str) -> None:
    """Focus the tree, put its cursor on a node and select it (Enter)."""
    tree = tree_of(h)
    tree.focus()
    node = tree.node_named(name)
    assert node is not None, name
    tree.move_cursor(node)
    await press(pilot, "enter")


async def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Post every key before the app handles any, then settle (a fast hand)."""
    for key in keys:
        char = key if len(key) == 1 else ("\r" if key == "enter" else None)
        pilot.app.post_message(events.Key(key, char))
    await settle(pilot)


# -- the Feeds branch ---------------------------------------------------------------------------


def test_feeds_branch_lists_each_feed_with_its_unread_count(tmp_path: Path) -> None:
    h = Harness(with_feeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        assert "Feeds (2)" in branches(h)
        assert label(h, "Feed: Two News") == "Two News  2/2"
        assert label(h, "Feed: Broken").startswith("Broken  0/0  ⚠ HTTPStatusError")
        assert len(label(h, "Feed: Broken")) < len("Broken  0/0  ⚠ ") + len(ERROR)
        await choose(pilot, h, "Feed: Two News")
        assert {r.title for r in h.lib.rows(h.app.articles.rowids)} == {
            "Koalas sleep twenty hours",
            "Second story",
        }
        assert h.app.articles.border_title is not None
        assert "Feed: Two News" in str(h.app.articles.border_title)
        # Reading one makes the count drop.
        h.app.articles.focus()
        await press(pilot, "m")
        assert label(h, "Feed: Two News") == "Two News  1/2"

    run(h, body)


def test_a_failing_feed_says_its_whole_error_when_chosen(tmp_path: Path) -> None:
    h = Harness(with_feeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await choose(pilot, h, "Feed: Broken")
        assert ERROR in h.notes
        assert "the last fetch failed" in plain(h.main.query_one("#status"))  # type: ignore[arg-type]
        assert h.app.articles.rowids == []

    run(h, body)


def test_no_feeds_branch_without_subscriptions(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        assert branches(h)  # the tree is filled (Topics, Sources …)
        assert not [b for b in branches(h) if b.startswith("Feeds")]

    run(h, body)


def test_feed_titles_and_errors_are_never_markup(tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    save_subscriptions(folder, [Subscription(TWO, "[bold red]Loud[/] feed")])
    state = FeedState(folder, tmp_path / "data")
    state.save_record(FeedRecord(TWO, last_error="\x1b[31m[link=https://evil.example]x[/link]"))
    state.close()
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        assert label(h, "Feed: [bold red]Loud[/] feed") == (
            "[bold red]Loud[/] feed  0/0  ⚠ [link=https://evil.example]x[/link]"
        )
        assert "[bold red]Loud[/] feed" in screen_text(h.app)
        await choose(pilot, h, "Feed: [bold red]Loud[/] feed")
        assert "[link=https://evil.example]x[/link]" in h.notes  # escape sequence stripped

    run(h, body)


def test_the_fetch_state_is_where_the_feeds_keep_it(tmp_path: Path) -> None:
    state = FeedState(tmp_path / "folder", tmp_path / "data")
    state.close()
    assert fetch_state_path(tmp_path / "folder", tmp_path / "data") == state.path


# -- saved searches -----------------------------------------------------------------------------


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(copy_seeds(tmp_path), tmp_path / "data")
    harness.lib.save_search("cams", "clearview")
    harness.lib.save_search("nothing", "zzzzunfindable")
    return harness


def test_saved_searches_show_their_unread_counts(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        assert label(h, "Search: cams") == "cams  3/3"
        assert label(h, "Search: nothing") == "nothing  0/0"
        await choose(pilot, h, "Search: cams")
        h.app.articles.focus()
        await press(pilot, "m")
        assert label(h, "Search: cams") == "cams  2/3"

    run(h, body)


def test_d_asks_then_deletes_the_highlighted_search(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await choose(pilot, h, "Search: cams")
        tree_of(h).focus()
        await press(pilot, "d")
        prompt = h.app.screen
        assert isinstance(prompt, ConfirmPrompt)
        assert "cams" in prompt.question
        await press(pilot, "n")
        assert h.app.screen is h.app.main
        assert [n for n, _ in h.lib.saved_searches()] == ["cams", "nothing"]
        await press(pilot, "d")
        await press(pilot, "y")
        assert [n for n, _ in h.lib.saved_searches()] == ["nothing"]
        assert tree_of(h).node_named("Search: cams") is None
        assert "Saved searches (1)" in branches(h)

    run(h, body)


def test_d_and_y_typed_at_once_delete_once(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await choose(pilot, h, "Search: cams")
        tree_of(h).focus()
        await burst(pilot, "d", "y", "y", "d")
        assert [n for n, _ in h.lib.saved_searches()] == ["nothing"]
        assert h.app.return_code is None  # no crash
        # The second d asked about the search the cursor is on now; nothing else went.
        if isinstance(h.app.screen, ConfirmPrompt):
            await press(pilot, "escape")
        assert h.app.screen is h.app.main
        assert [n for n, _ in h.lib.saved_searches()] == ["nothing"]

    run(h, body)


def test_c_renames_and_the_tree_and_list_follow(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await choose(pilot, h, "Search: cams")
        tree_of(h).focus()
        await press(pilot, "c")
        assert isinstance(h.app.screen, TextPrompt)
        h.app.screen.query_one(Input).value = ""
        await pilot.press(*"cameras")
        await press(pilot, "enter")
        assert h.lib.saved_searches() == [("cameras", "clearview"), ("nothing", "zzzzunfindable")]
        node = tree_of(h).cursor_node
        assert node is not None and node.data is not None
        assert node.data == TreeData(node.data.view, "Search: cameras", saved="cameras")
        assert "Search: cameras" in str(h.app.articles.border_title)

    run(h, body)


def test_a_rename_onto_a_taken_name_loses_nothing(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await choose(pilot, h, "Search: cams")
        tree_of(h).focus()
        await press(pilot, "c")
        h.app.screen.query_one(Input).value = "nothing"
        await press(pilot, "enter")
        assert h.lib.saved_searches() == [("cams", "clearview"), ("nothing", "zzzzunfindable")]
        assert any("already" in n for n in h.notes)

    run(h, body)


def test_the_palette_deletes_the_search_whose_list_is_shown(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await choose(pilot, h, "Search: cams")
        h.app.articles.focus()
        await pilot.press("ctrl+p", *"Delete saved search")
        await settle(pilot)
        assert isinstance(h.app.screen, CommandPalette)
        for _ in range(50):  # the palette's search runs as a task of its own
            await pilot.pause(0.02)
            if not h.app.screen._show_busy:
                break
        await press(pilot, "enter")
        assert isinstance(h.app.screen, ConfirmPrompt)
        await press(pilot, "y")
        assert [n for n, _ in h.lib.saved_searches()] == ["nothing"]

    run(h, body)


def test_d_without_a_saved_search_says_what_to_do(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "d")
        assert h.app.screen is h.app.main
        assert any("saved search" in n for n in h.notes)
        assert len(h.lib.saved_searches()) == 2

    run(h, body)


# -- the tree across refreshes ------------------------------------------------------------------


def test_a_refresh_keeps_the_cursor_and_a_closed_branch(h: Harness) -> None:
    def stories() -> Any:
        return next(n for n in tree_of(h).root.children if str(n.label).startswith("Stories"))

    async def body(pilot: Pilot[Any]) -> None:
        tree = tree_of(h)
        tree.focus()
        tree.move_cursor(stories())
        await press(pilot, "enter")  # closes it
        assert not stories().is_expanded
        await choose(pilot, h, "Topic: AI")
        h.app.articles.focus()
        await press(pilot, "m")  # the counts change: the tree is filled again
        assert label(h, "Topic: AI") == "AI  2/3"
        assert not stories().is_expanded
        node = tree.cursor_node
        assert node is not None and node.data is not None and node.data.name == "Topic: AI"

    run(h, body)


def test_c_and_a_name_typed_at_once_rename(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await choose(pilot, h, "Search: cams")
        tree_of(h).focus()
        await burst(pilot, "c", *"cameras", "enter", "enter")
        assert h.app.return_code is None  # no crash
        assert h.lib.saved_searches() == [("cameras", "clearview"), ("nothing", "zzzzunfindable")]

    run(h, body)


def test_d_and_c_in_the_search_box_are_text(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await choose(pilot, h, "Search: cams")  # a saved search is shown: d would target it
        h.app.articles.focus()
        await burst(pilot, "slash", *"dc")
        assert h.app.query_one("#search", Input).value == "dc"
        assert h.app.screen is h.app.main
        assert len(h.lib.saved_searches()) == 2

    run(h, body)
