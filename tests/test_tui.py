"""Pilot tests of the reader: every key and flow of the TUI issue, on a private copy of seeds/.

Each test drives the real app headless (``run_test``), waits on workers (never sleeps), and checks
both what the screen shows and what the library recorded. The browser and the clipboard are
replaced by recorders, so nothing leaves the test.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer, Input, Markdown, OptionList, Static

import newsreader.tui.screens.state as tui_state
from newsreader import config
from newsreader.ingest.urls import safe_url
from newsreader.library.library import Library, View
from newsreader.tui.commands import COMMANDS
from newsreader.tui.screens.modals import (
    HelpScreen,
    NumberPrompt,
    ProblemsScreen,
    TextPrompt,
    key_label,
)
from newsreader.tui.widgets.article_list import ArticleList
from newsreader.tui.widgets.related import RelatedLinks
from newsreader.tui.widgets.topic_tree import TopicTree
from tui_support import (
    Harness,
    copy_seeds,
    plain,
    press,
    run,
    screen_text,
    seed_ids,
    settle,
    wait_until,
    write_article,
    yaml_str,
)

NYPOST_URL = "https://nypost.com/2021/04/11/internal-affairs-used-facial-recognition-against-nypd-cops-email/"
NYPOST_IMAGE = (
    "https://nypost.com/wp-content/uploads/sites/2/2021/04/nypd-facial-recognition-007.jpg"
    "?quality=90&strip=all&w=1200"
)
TITLES = {
    "000": "Internal Affairs used facial recognition software against NYPD cops: email",
    "001": "The NYPD used a controversial facial recognition tool. Here’s what you need to know.",
    "004": "Investigation reveals NYPD may use more facial recognition cameras in neighborhoods of color",
}


@pytest.fixture(autouse=True)
def _no_read_on_dwell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Previewing an article marks it read after READ_AFTER seconds; a slow CI run would cross
    that line at random, so tests switch it off (one test below checks it on purpose)."""
    monkeypatch.setattr(tui_state, "READ_AFTER", 3600.0)


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(copy_seeds(tmp_path), tmp_path / "data")


def header(h: Harness) -> str:
    return plain(h.app.main.reader.query_one("#header", Static))


def links_block(h: Harness) -> str:
    return plain(h.app.main.reader.query_one("#links", Static))


def status(h: Harness) -> str:
    return plain(h.app.query_one("#status", Static))


async def select(h: Harness, pilot: Pilot[Any], seed: str) -> None:
    """Put the list cursor on a seed (the reader previews it)."""
    h.app.articles.cursor = h.list_ids().index(h.ids_by_seed()[seed])
    await settle(pilot)


async def open_seed(h: Harness, pilot: Pilot[Any], seed: str) -> None:
    """Select a seed in the list and press Enter."""
    h.app.articles.focus()
    await select(h, pilot, seed)
    await press(pilot, "enter")
    assert h.app.main.article is not None and h.app.main.article.id == h.ids_by_seed()[seed]


def border_text(widget: Any) -> str:
    """A pane's border title as shown (the public getter gives it back as markup)."""
    return str(widget._border_title.plain)


def option_texts(options: OptionList) -> list[str]:
    return [getattr(o.prompt, "plain", str(o.prompt)) for o in options.options]


# -- first paint and moving --------------------------------------------------------------------------


def test_first_paint_lists_the_five_seeds_newest_first(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        ids = h.ids_by_seed()
        shown = h.list_ids()
        assert sorted(shown) == sorted(ids.values())
        # Dated articles newest first (004 June, 000 April 11, 001 April 9), undated ones after.
        assert shown[:3] == [ids["004"], ids["000"], ids["001"]]
        assert app.articles.cursor == 0
        assert app.focused is app.articles
        assert app.articles.border_subtitle == "5"
        text = screen_text(app)
        for start in (
            "Investigation reveal",
            "Internal Affai",
            "The NYPD used",
            "NYPD Leveraged",
            "Internal Affairs Used Cl",
        ):
            assert start in text
        # Every row carries the unread marker; the tree shows counts.
        assert text.count("● ") >= 5
        assert "All  5/5" in text and "Unread  5" in text and "Starred  0" in text
        # The first row is previewed in the reader.
        assert TITLES["004"] in header(h)

    run(h, body)


def test_movement_keys_move_the_cursor_and_preview(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        shown = h.list_ids()
        expected = [
            ("j", 1),
            ("down", 2),
            ("k", 1),
            ("up", 0),
            ("G", 4),
            ("g", 0),
            ("end", 4),
            ("home", 0),
            ("pagedown", 4),
            ("pageup", 0),
            ("k", 0),
        ]
        for key, index in expected:
            await press(pilot, key)
            assert app.articles.cursor == index, key
            assert app.main.article is not None and app.main.article.id == shown[index], key

    run(h, body)


def test_page_keys_on_a_long_list(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    # 60 files: under the sync's process-pool threshold (see the big-folder test below).
    for i in range(60):
        write_article(
            folder,
            f"a{i:03}.txt",
            title=f'"Article number {i:03}"',
            url=f'"https://example.com/{i}"',
            date=f"2022-01-01T10:{i:02}:00Z",
        )
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        lst = h.app.articles
        assert len(lst.rowids) == 60
        await press(pilot, "pagedown")
        first_page = lst.cursor
        assert 5 < first_page < 59
        await press(pilot, "pagedown")
        assert lst.cursor == min(59, 2 * first_page)
        # The cursor row stays on screen.
        height = lst.scrollable_content_region.height
        assert lst.scroll_y <= lst.cursor < lst.scroll_y + height
        await press(pilot, "pageup", "pageup")
        assert lst.cursor == 0
        await press(pilot, "G")
        assert lst.cursor == 59
        assert lst.scroll_y <= 59 < lst.scroll_y + height
        assert "Article number 000" in screen_text(h.app)  # newest first: 000 is the oldest

    run(h, body)


# -- opening and reading -----------------------------------------------------------------------------


def test_enter_opens_the_article_and_marks_it_read(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await press(pilot, "j")
        assert not h.lib.is_read(ids["000"])
        await press(pilot, "enter")
        assert h.app.main.article is not None and h.app.main.article.id == ids["000"]
        assert TITLES["000"] in header(h)
        assert h.lib.is_read(ids["000"])
        assert h.app.focused is h.app.main.reader
        # The list row and the tree counts follow.
        assert h.app.articles.row(1).read  # type: ignore[union-attr]
        assert "All  4/5" in screen_text(h.app)

    run(h, body)


def test_tab_and_shift_tab_move_between_the_panes(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        panes = {app.query_one("#tree"), app.articles, app.main.reader, app.query_one(RelatedLinks)}
        seen = [app.focused]
        for _ in range(4):
            await press(pilot, "tab")
            seen.append(app.focused)
        assert set(seen) == panes
        assert seen[-1] is app.articles  # a full cycle
        back = [app.focused]
        for _ in range(4):
            await press(pilot, "shift+tab")
            back.append(app.focused)
        assert back == list(reversed(seen))

    run(h, body)


def test_front_matter_only_article_shows_excerpt_notice_and_image_links(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        text = header(h)
        assert TITLES["000"] in text
        assert "New York Post" in text and "Sun 11 Apr 2021" in text
        assert "Topics: Computer Vision, AI" in text
        assert NYPOST_URL in text
        assert "The head of the NYPD’s Internal Affairs Bureau apparently ordered" in text
        assert "The full text is not in this file" in text and "o to open the original" in text
        links = links_block(h)
        assert "[1] image 1" in links
        assert NYPOST_IMAGE[:60] in links
        assert h.app.main.reader.links == [("image 1", NYPOST_IMAGE)]
        assert all(not m.source.strip() for m in h.app.main.reader.query(Markdown))  # no body drawn
        screen = screen_text(h.app)
        assert "The full text is not in this file" in screen and "[1] image 1" in screen

    run(h, body)


def test_space_pages_the_reader_then_goes_to_the_next_article(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await open_seed(h, pilot, "003")  # a long body: several pages
        reader = h.app.main.reader
        assert reader.max_scroll_y > 0
        assert reader.scroll_y == 0
        await press(pilot, "space")
        assert reader.scroll_y > 0
        for _ in range(50):
            if reader.at_end:
                break
            await press(pilot, "space")
        assert reader.at_end
        assert h.app.main.article.id == ids["003"]  # type: ignore[union-attr]
        await press(pilot, "space")
        # 002 follows 003 in the list.
        assert h.current_id() == ids["002"]
        assert h.app.main.article is not None and h.app.main.article.id == ids["002"]
        assert reader.scroll_y == 0
        assert h.lib.is_read(ids["002"])  # Space at the end opens the next one: read at once

    run(h, body)


def test_n_and_shift_n_go_to_next_and_previous_unread(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        order = h.list_ids()  # 004, 000, 001, ...
        h.lib.set_read([ids["000"]])
        await press(pilot, "n")  # skips 000, which is read
        assert h.app.articles.cursor == 2
        assert h.app.main.article is not None and h.app.main.article.id == order[2]
        assert h.lib.is_read(order[2])  # n opens it: read at once
        assert not h.lib.is_read(order[0])
        await press(pilot, "N")  # back over 000 to 004
        assert h.app.articles.cursor == 0
        assert h.app.main.article.id == order[0]
        assert h.lib.is_read(order[0])
        await press(pilot, "N")  # wraps round to the last unread (issue 22)
        assert h.app.articles.cursor == len(order) - 1
        assert "Wrapped around to the last unread article." in h.notes
        h.lib.set_read(order)
        await press(pilot, "n")
        assert "No more unread articles here." in h.notes

    run(h, body)


def test_previewing_an_article_for_a_moment_marks_it_read(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tui_state, "READ_AFTER", 0.05)

    async def body(pilot: Pilot[Any]) -> None:
        ids = h.list_ids()
        await press(pilot, "j")  # previewed, not opened
        assert h.app.focused is h.app.articles
        assert await wait_until(pilot, lambda: h.lib.is_read(ids[1]))
        await settle(pilot)
        assert h.app.articles.row(1).read  # type: ignore[union-attr]

    run(h, body)


def test_m_toggles_read(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        first = h.list_ids()[0]
        assert not h.lib.is_read(first)
        await press(pilot, "m")
        assert h.lib.is_read(first)
        assert h.app.articles.current.read  # type: ignore[union-attr]
        assert "Unread  4" in screen_text(h.app)
        await press(pilot, "m")
        assert not h.lib.is_read(first)
        assert not h.app.articles.current.read  # type: ignore[union-attr]
        # From the reader too: m acts on the article being read.
        await open_seed(h, pilot, "001")
        one = h.ids_by_seed()["001"]
        assert h.lib.is_read(one)
        await press(pilot, "m")
        assert not h.lib.is_read(one)

    run(h, body)


def test_s_stars_and_unstars(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        first = h.list_ids()[0]
        await press(pilot, "s")
        assert h.lib.is_starred(first)
        assert "Starred" in h.notes
        assert h.app.articles.current.starred  # type: ignore[union-attr]
        text = screen_text(h.app)
        assert "★ Investigation" in text and "Starred  1" in text
        await press(pilot, "s")
        assert not h.lib.is_starred(first)
        assert "Unstarred" in h.notes

    run(h, body)


# -- URLs --------------------------------------------------------------------------------------------


def test_o_opens_the_original_url_in_the_browser(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        await press(pilot, "o")
        assert h.browser.calls == [NYPOST_URL]
        assert f"Opened {NYPOST_URL}" in h.notes
        # An article without a URL says so instead.
        await open_seed(h, pilot, "002")
        await press(pilot, "o")
        assert h.browser.calls == [NYPOST_URL]
        assert "This article has no original URL." in h.notes

    run(h, body)


async def body_markdown(h: Harness, pilot: Pilot[Any]) -> Markdown:
    """The reader's body widget, with a page dump's body in it (the last article): a
    front-matter-only article has no body, and the reader mounts it with the first."""
    await press(pilot, "G")
    assert await wait_until(pilot, lambda: bool(h.app.main.reader.query(Markdown)))
    return h.app.main.reader.query_one(Markdown)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html;base64,PHNjcmlwdD4=",
        "-oProxyCommand=touch /tmp/pwned",
        "--new-window https://example.com/",
        "https://example.com/\x1b]52;c;aGk=\x07",
    ],
)
def test_refused_urls_never_reach_the_browser(h: Harness, url: str) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        h.app.open_url(url)
        await settle(pilot)
        # A link clicked in the Markdown body goes through the same gate.
        markdown = await body_markdown(h, pilot)
        markdown.post_message(Markdown.LinkClicked(markdown, url))
        await settle(pilot)
        assert h.browser.calls == []
        refusals = [n for n in h.notes if n.startswith("Refused to open this link")]
        assert len(refusals) == 2
        assert "\x1b" not in screen_text(h.app)

    run(h, body)


def test_a_body_link_click_opens_through_the_check(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        markdown = await body_markdown(h, pilot)
        markdown.post_message(Markdown.LinkClicked(markdown, "https://example.com/path?q=1"))
        await settle(pilot)
        assert h.browser.calls == [safe_url("https://example.com/path?q=1")]
        assert h.browser.calls[0].startswith("https://example.com/path")

    run(h, body)


@pytest.mark.parametrize("works", [False, None], ids=["exits-1", "cannot-run"])
def test_browser_failure_shows_the_url(tmp_path: Path, works: bool | None) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data", browser=works)

    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        await press(pilot, "o")
        # The command that exits 1 was given the URL; the one that cannot run was not.
        assert h.browser.calls == ([NYPOST_URL] if works is False else [])
        assert NYPOST_URL in status(h)
        assert any(NYPOST_URL in n and "No browser" in n for n in h.notes)
        assert not any(n.startswith("Opened") for n in h.notes)

    run(h, body)


def test_y_copies_the_url(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        await press(pilot, "y")
        assert h.copied == [NYPOST_URL]
        assert f"Copied {NYPOST_URL}" in h.notes
        assert h.browser.calls == []

    run(h, body)


def test_f_then_a_number_follows_that_link(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        await press(pilot, "f")
        assert isinstance(h.app.screen, NumberPrompt)
        await press(pilot, "1", "enter")
        assert not isinstance(h.app.screen, NumberPrompt)
        assert h.browser.calls == [safe_url(NYPOST_IMAGE)]
        # An out-of-range number, and Escape, open nothing.
        await press(pilot, "f", "7", "enter")
        await press(pilot, "f", "escape")
        assert len(h.browser.calls) == 1
        assert not isinstance(h.app.screen, NumberPrompt)
        # No numbered links: a notice instead of a prompt.
        await open_seed(h, pilot, "002")
        if not h.app.main.reader.links:
            await press(pilot, "f")
            assert not isinstance(h.app.screen, NumberPrompt)
            assert "This article has no numbered links." in h.notes

    run(h, body)


# -- search ------------------------------------------------------------------------------------------


def test_slash_typing_filters_the_list_at_once(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await press(pilot, "/")
        search = h.app.query_one("#search", Input)
        assert h.app.focused is search and search.display
        await pilot.press(*"clearview")
        await settle(pilot)
        assert sorted(h.list_ids()) == sorted([ids["002"], ids["003"]])
        # By source and by topic, too.
        search.value = ""
        await pilot.press(*"WPIX")
        await settle(pilot)
        assert h.list_ids() == [ids["004"]]
        search.value = ""
        await pilot.press(*"computer vision")
        await settle(pilot)
        assert sorted(h.list_ids()) == sorted([ids["000"], ids["001"], ids["004"]])

    run(h, body)


def test_slash_enter_searches_the_whole_library(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await select(h, pilot, "001")
        await press(pilot, "/")
        await pilot.press(*"neighborhoods")
        await press(pilot, "enter")
        app = h.app
        assert app.focused is app.articles
        assert app.articles.cursor == 0
        assert h.list_ids() == [ids["004"]]
        assert app.main.article is not None and app.main.article.id == ids["004"]
        assert TITLES["004"] in header(h)
        assert app.articles.border_title == "Search: neighborhoods"
        # Its related links are beside it.
        assert any(
            "Biden officials quietly deploy" in t for t in option_texts(app.query_one(RelatedLinks))
        )

    run(h, body)


def test_search_highlights_the_matches_in_the_body(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "/")
        await pilot.press(*"Legal Aid")
        await press(pilot, "enter")
        assert h.app.main.article is not None and h.app.main.article.body
        source = h.app.main.reader.query_one(Markdown).source
        assert "**Legal**" in source or "**Aid**" in source

    run(h, body)


def test_escape_returns_to_the_previous_view_and_article(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await select(h, pilot, "001")
        await press(pilot, "/")
        await pilot.press(*"neighborhoods")
        await press(pilot, "enter")
        assert h.app.main.article.id == ids["004"]  # type: ignore[union-attr]
        await press(pilot, "escape")
        assert len(h.app.articles.rowids) == 5
        assert h.app.articles.border_title == "All"
        assert h.current_id() == ids["001"]
        assert h.app.main.article is not None and h.app.main.article.id == ids["001"]
        assert not h.app.query_one("#search", Input).display
        assert h.app.focused is h.app.articles
        # Escape straight from the search box, after filtering, too.
        await press(pilot, "/")
        await pilot.press(*"clearview")
        await settle(pilot)
        assert len(h.app.articles.rowids) == 2
        await press(pilot, "escape")
        assert len(h.app.articles.rowids) == 5
        assert h.current_id() == ids["001"]
        assert h.app.focused is h.app.articles

    run(h, body)


def test_save_search_adds_it_to_the_tree(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "/")
        await pilot.press(*"neighborhoods")
        await press(pilot, "enter")
        await press(pilot, "S")
        assert isinstance(h.app.screen, TextPrompt)
        prompt = h.app.screen.query_one(Input)
        assert prompt.value == "neighborhoods"
        prompt.value = ""
        await pilot.press(*"hoods")
        await press(pilot, "enter")
        assert not isinstance(h.app.screen, TextPrompt)
        assert h.lib.saved_searches() == [("hoods", "neighborhoods")]
        tree = h.app.query_one(TopicTree)
        node = tree.node_named("Search: hoods")
        assert node is not None
        assert "Saved search: hoods" in h.notes
        assert "hoods" in screen_text(h.app)

    run(h, body)


def test_save_search_needs_a_search(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "S")
        assert not isinstance(h.app.screen, TextPrompt)
        assert h.lib.saved_searches() == []

    run(h, body)


# -- rescan, zoom, help, problems, quit ---------------------------------------------------------------


def test_r_rescans_the_folder(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        assert len(h.app.articles.rowids) == 5
        write_article(
            h.folder,
            "005_new.txt",
            title='"A brand new article about cameras"',
            url='"https://example.com/new"',
            body="Some new text.",
        )
        await press(pilot, "r")
        assert len(h.app.articles.rowids) == 6
        assert "1 added" in status(h)
        assert "A brand new" in screen_text(h.app)
        assert "All  6/6" in screen_text(h.app)

    run(h, body)


def test_z_zooms_the_reader(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        left, related = app.query_one("#left"), app.query_one("#related")
        await press(pilot, "z")
        assert app.screen.has_class("-zoom")
        assert not left.display and not related.display
        assert left.region.width == 0 and related.region.width == 0
        assert app.main.reader.region.width > 100
        assert app.focused is app.main.reader
        await press(pilot, "z")
        assert not app.screen.has_class("-zoom")
        assert left.region.width > 0 and related.region.width > 0
        # Escape leaves the zoom too.
        await press(pilot, "z", "escape")
        assert not app.screen.has_class("-zoom")

    run(h, body)


def test_help_lists_every_command_and_filters(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "question_mark")
        screen = h.app.screen
        assert isinstance(screen, HelpScreen)
        texts = option_texts(screen.query_one("#help-list", OptionList))
        joined = "\n".join(texts)
        for command in COMMANDS:
            assert any(command.label in t and key_label(command.keys) in t for t in texts), command
        for key in (
            "j / ↓",
            "k / ↑",
            "g / Home",
            "G / End",
            "PgDn",
            "PgUp",
            "Enter",
            "Tab",
            "Shift+Tab",
            "Ctrl+P",
            "Esc",
        ):
            assert key in joined, key
        await pilot.press(*"star")
        await settle(pilot)
        texts = option_texts(screen.query_one("#help-list", OptionList))
        assert any("Star" in t for t in texts)
        assert not any("Quit" in t for t in texts)
        await pilot.press(*"zzzzqq")
        await settle(pilot)
        assert option_texts(screen.query_one("#help-list", OptionList)) == ["No key matches."]
        await press(pilot, "escape")
        assert not isinstance(h.app.screen, HelpScreen)
        assert h.app.is_running

    run(h, body)


def test_footer_shows_keys(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        assert h.app.query_one(Footer).region.height == 1
        text = screen_text(h.app).splitlines()[-1]
        for hint in ("q Quit", "? Help", "/ Search"):
            assert hint in text

    run(h, body)


def test_problems_lists_skipped_files(h: Harness) -> None:
    (h.folder / "binary.txt").write_bytes(bytes(range(256)) * 8 + b"\x00\x00\xff\xfe")

    async def body(pilot: Pilot[Any]) -> None:
        assert len(h.app.articles.rowids) == 5
        assert "press P" in status(h)
        await press(pilot, "P")
        screen = h.app.screen
        assert isinstance(screen, ProblemsScreen)
        texts = option_texts(screen.query_one("#problems-list", OptionList))
        assert any("binary.txt" in t for t in texts)
        assert await wait_until(pilot, lambda: "binary.txt" in screen_text(h.app))
        await press(pilot, "escape")
        assert not isinstance(h.app.screen, ProblemsScreen)

    run(h, body)


def test_q_quits(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("q")
        await pilot.pause()
        assert not h.app.is_running
        assert h.app.return_code == 0

    run(h, body)


# -- command palette ---------------------------------------------------------------------------------


async def palette(h: Harness, pilot: Pilot[Any], text: str) -> list[str]:
    """Open the palette, type, and return the hits shown."""
    from textual.command import CommandList, CommandPalette

    if not isinstance(h.app.screen, CommandPalette):
        await press(pilot, "ctrl+p")
        assert isinstance(h.app.screen, CommandPalette)
    await pilot.press(*text)
    await settle(pilot)
    for _ in range(50):
        await pilot.pause(0.02)
        commands = h.app.screen.query_one(CommandList)
        if not h.app.screen._show_busy and commands.option_count:
            break
    return [t.split("\n")[0] for t in option_texts(h.app.screen.query_one(CommandList))]


def test_palette_jumps_to_an_article_by_title(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        hits = await palette(h, pilot, "Leveraged")
        assert hits and hits[0].startswith("NYPD Leveraged Clearview AI")
        await press(pilot, "enter")
        assert h.app.main.article is not None and h.app.main.article.id == h.ids_by_seed()["003"]
        assert h.current_id() == h.ids_by_seed()["003"]

    run(h, body)


def test_palette_finds_an_article_by_fuzzy_title(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        hits = await palette(h, pilot, "nypd leveraged ai")
        assert any(t.startswith("NYPD Leveraged Clearview AI") for t in hits)

    run(h, body)


def test_palette_jumps_to_a_topic_and_a_source(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        hits = await palette(h, pilot, "Computer Vision")
        assert any(t == "Topic: Computer Vision" for t in hits)
        index = hits.index("Topic: Computer Vision")
        from textual.command import CommandList

        h.app.screen.query_one(CommandList).highlighted = index
        await press(pilot, "enter")
        assert h.app.articles.border_title == "Topic: Computer Vision"
        assert len(h.app.articles.rowids) == 3
        hits = await palette(h, pilot, "WPIX")
        index = hits.index("Source: WPIX")
        h.app.screen.query_one(CommandList).highlighted = index
        await press(pilot, "enter")
        assert h.app.articles.border_title == "Source: WPIX"
        assert h.list_ids() == [h.ids_by_seed()["004"]]

    run(h, body)


def test_palette_runs_a_command(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        first = h.list_ids()[0]
        hits = await palette(h, pilot, "Star")
        assert hits[0].startswith("Star")
        await press(pilot, "enter")
        assert h.lib.is_starred(first)
        await palette(h, pilot, "Zoom")
        await press(pilot, "enter")
        assert h.app.screen.has_class("-zoom")

    run(h, body)


# -- related links -----------------------------------------------------------------------------------


PIX11_URL = (
    "https://pix11.com/news/local-news/"
    "investigation-reveals-nypd-may-use-more-facial-recognition-cameras-in-neighborhoods-of-color/"
)


def write_referrer(folder: Path) -> None:
    """An article of another story (009) whose related[] links to seed 004 (local)."""
    write_article(
        folder,
        "009_garden.txt",
        title='"Gardening tips for spring"',
        url='"https://example.com/garden"',
        date="2023-03-01T10:00:00Z",
        body="Tomatoes and roses.",
        extra=f'related:\n  - title: "Investigation reveals"\n    webUrl: "{PIX11_URL}"\n',
    )


def test_related_marks_local_articles_and_opens_them(tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    write_referrer(folder)
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await open_seed(h, pilot, "009")
        related = h.app.query_one(RelatedLinks)
        texts = option_texts(related)
        assert texts[0] == "Related coverage (1)"
        assert texts[1].startswith("● in library  Investigation reveals")
        assert "● in library" in screen_text(h.app)
        related.focus()
        related.highlighted = 1
        await press(pilot, "enter")
        assert h.app.main.article is not None and h.app.main.article.id == ids["004"]
        assert TITLES["004"] in header(h)
        assert h.current_id() == ids["004"]
        assert h.lib.is_read(ids["004"])  # opened from the related pane: read at once
        assert h.browser.calls == []

    run(h, body)


def test_related_web_link_opens_in_the_browser(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        related = h.app.query_one(RelatedLinks)
        texts = option_texts(related)
        web = next(i for i, t in enumerate(texts) if t.startswith("↗ web"))
        related.focus()
        related.highlighted = web
        await press(pilot, "enter")
        assert len(h.browser.calls) == 1
        assert h.browser.calls[0].startswith("https://")

    run(h, body)


def test_referenced_by_shows_backlinks(tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    write_referrer(folder)
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await open_seed(h, pilot, "004")
        texts = option_texts(h.app.query_one(RelatedLinks))
        start = next(i for i, t in enumerate(texts) if t.startswith("Referenced by (1)"))
        assert "Gardening tips for spring" in texts[start + 1]
        related = h.app.query_one(RelatedLinks)
        related.focus()
        related.highlighted = start + 1
        await press(pilot, "enter")
        assert h.app.main.article.id == ids["009"]  # type: ignore[union-attr]

    run(h, body)


def test_related_shows_each_local_article_once(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        # 001 is in 000's story, in its related[] and links to it: it used to be listed three
        # times (Same story, Related coverage, Referenced by).
        await open_seed(h, pilot, "001")
        related = h.app.query_one(RelatedLinks)
        local = [t for t in related.targets.values() if t.article_id]
        assert local and len(local) == len(set(local))
        texts = option_texts(related)
        assert sum(TITLES["000"] in t for t in texts) == 1
        assert texts[0].startswith("Same story")

    run(h, body)


def test_related_pane_enter_works_at_once_and_j_k_move(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await open_seed(h, pilot, "000")
        related = h.app.query_one(RelatedLinks)
        await press(pilot, "tab")
        assert h.app.focused is related
        first = related.highlighted
        assert first is not None  # the first entry is selected on focus
        await press(pilot, "j")
        assert related.highlighted is not None and related.highlighted > first
        await press(pilot, "k")
        assert related.highlighted == first
        await press(pilot, "G")
        assert related.highlighted == related.option_count - 1
        await press(pilot, "g")
        assert related.highlighted == first
        target = related.targets[related.options[first].id or ""]
        await press(pilot, "enter")
        assert h.app.main.article is not None and h.app.main.article.id == target.article_id
        assert target.article_id in ids.values()

    run(h, body)


# -- layout ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_every_pane_is_visible_and_nothing_is_cut_off(h: Harness, size: tuple[int, int]) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        width, height = size
        await open_seed(h, pilot, "000")
        widgets = {
            name: app.query_one(name)
            for name in ("#tree", "#list", "#reader", "#related", "#status")
        }
        widgets["footer"] = app.query_one(Footer)
        regions = {}
        for name, widget in widgets.items():
            region = widget.region
            assert widget.display, name
            assert region.width > 0 and region.height > 0, (name, region)
            assert region.x >= 0 and region.y >= 0, (name, region)
            assert region.right <= width and region.bottom <= height, (name, region)
            regions[name] = region
        names = list(regions)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                assert not regions[a].overlaps(regions[b]), (a, b)
        # Each bordered pane has room for content, and the list shows every seed row.
        for name in ("#tree", "#list", "#reader", "#related"):
            assert regions[name].height >= 4 and regions[name].width >= 20, name
        assert regions["#list"].height - 2 >= 5
        text = screen_text(app)
        assert "Internal Affai" in text  # a list row
        assert "Related" in text and "Library" in text
        assert "Internal Affairs used" in text  # the reader's title

    run(h, body, size=size)


# -- state across restarts ---------------------------------------------------------------------------


def test_restart_returns_to_the_same_article_and_keeps_state(tmp_path: Path) -> None:
    folder, data = copy_seeds(tmp_path), tmp_path / "data"
    first = Harness(folder, data)
    ids: dict[str, str] = {}

    async def session1(pilot: Pilot[Any]) -> None:
        ids.update(first.ids_by_seed())
        await open_seed(first, pilot, "000")
        await press(pilot, "s")
        first.app.articles.focus()
        await select(first, pilot, "001")
        await press(pilot, "q")

    run(first, session1)
    second = Harness(folder, data)

    async def session2(pilot: Pilot[Any]) -> None:
        assert second.current_id() == ids["001"]
        assert second.app.main.article is not None and second.app.main.article.id == ids["001"]
        assert TITLES["001"] in header(second)
        assert second.lib.is_read(ids["000"])
        assert second.lib.is_starred(ids["000"])
        row = second.app.articles.row(second.list_ids().index(ids["000"]))
        assert row is not None and row.read and row.starred
        assert "★ Internal Affai" in screen_text(second.app)
        assert "Starred  1" in screen_text(second.app)

    run(second, session2)


def test_restart_reports_what_is_new_since_the_last_visit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    folder, data = copy_seeds(tmp_path), tmp_path / "data"
    lib = Library.open(folder, data)
    real = time.time()
    monkeypatch.setattr(time, "time", lambda: real - 600)  # the last visit was ten minutes ago
    lib.sync()
    lib.save_position(None, "All")
    monkeypatch.undo()
    lib.close()
    write_article(folder, "005_new.txt", title='"Fresh news"', url='"https://example.com/fresh"')
    h = Harness(folder, data)

    async def body(pilot: Pilot[Any]) -> None:
        assert "1 new since your last visit" in status(h)
        assert len(h.app.articles.rowids) == 6
        rows = [h.app.articles.row(i) for i in range(6)]
        new = [r.title for r in rows if r is not None and r.new]
        assert new == ["Fresh news"]
        # The list marks it: the new-article marker stands on that row only.
        lines = [line for line in screen_text(h.app).splitlines() if "✦" in line]
        assert len(lines) == 1 and "Fresh news" in lines[0]

    run(h, body)


def test_first_start_on_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        assert h.app.articles.rowids == []
        assert "No articles yet." in screen_text(h.app)
        # Every key but N (see the next test) on an empty list.
        for key in ("j", "k", "G", "g", "enter", "space", "n", "m", "s", "o", "y", "f", "z", "z"):
            await press(pilot, key)
        assert h.app.is_running
        assert h.browser.calls == [] and h.copied == []
        # Nothing was opened, marked or prompted for; n said there is nothing to go to.
        assert h.app.main.article is None and h.app.articles.cursor == 0
        assert h.lib.totals() == {"all": 0, "unread": 0, "starred": 0}
        assert not isinstance(h.app.screen, NumberPrompt)
        assert "No more unread articles here." in h.notes
        assert "No articles yet." in screen_text(h.app)

    run(h, body)


@pytest.mark.parametrize("how", ["empty-folder", "search-without-hits"])
def test_shift_n_on_an_empty_list_does_not_crash(tmp_path: Path, how: str) -> None:
    if how == "empty-folder":
        folder = tmp_path / "empty"
        folder.mkdir()
    else:
        folder = copy_seeds(tmp_path)
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        if how == "search-without-hits":
            await press(pilot, "/")
            h.app.query_one("#search", Input).value = "zzzznothing"
            await press(pilot, "enter")
            assert h.app.articles.rowids == []
        await press(pilot, "j", "N")
        assert h.app.is_running
        assert h.app.articles.rowids == [] and h.app.articles.cursor == 0
        assert h.app.main.article is None or how == "search-without-hits"
        assert h.notes.count("No more unread articles here.") == 1

    run(h, body)


BIG_FOLDER_SCRIPT = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
import asyncio
import threading
from pathlib import Path
from tui_support import Harness, plain, settle, write_article

folder = Path(sys.argv[2])
for i in range(80):
    write_article(folder, f"a{i:03}.txt", title=f'"Article {i:03}"', url=f'"https://example.com/{i}"')
h = Harness(folder, Path(sys.argv[3]))

async def main():
    async with h.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        print(len(h.app.articles.rowids))
        print(plain(h.app.query_one("#status")))

asyncio.run(main())
h.lib.close()
"""


def test_first_index_of_a_big_folder_from_the_tui(tmp_path: Path) -> None:
    # In a fresh interpreter: multiprocessing's resource tracker is process-global, and one already
    # started by another test in this worker would hide the bug.
    import subprocess
    import sys

    folder = tmp_path / "big"
    folder.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            BIG_FOLDER_SCRIPT,
            str(Path(__file__).parent),
            str(folder),
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    count, status_line = done.stdout.strip().splitlines()[-2:]
    assert "Sync failed" not in status_line, status_line
    assert count == "80"


def test_view_choice_from_the_tree(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        tree = h.app.query_one(TopicTree)
        node = tree.node_named("Topic: AI")
        assert node is not None
        tree.focus()
        tree.move_cursor(node)
        await press(pilot, "enter")
        assert h.app.articles.border_title == "Topic: AI"
        assert len(h.app.articles.rowids) == 3
        assert View(topic="AI") == h.app.view

    run(h, body)


# -- audit fixes ---------------------------------------------------------------------------------------

EVIL_PROVIDER = "[bold red]Evil[/] Source"
EVIL_TOPIC = "[@click=app.quit]Topic[/]"
EVIL_SAVED = "[bold red]Saved[/] x"


def test_file_text_is_literal_in_border_titles_and_the_palette(tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    write_article(
        folder,
        "008_evil.txt",
        title='"Hostile names"',
        url='"https://example.com/evil"',
        date="2030-01-01T10:00:00Z",
        body="Body.",
        extra=(
            f"provider:\n  name: {yaml_str(EVIL_PROVIDER)}\n  domain: evil.example\n"
            f"topics:\n  - {yaml_str(EVIL_TOPIC)}\n"
        ),
    )
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        await open_seed(h, pilot, "008")
        assert border_text(app.main.reader) == EVIL_PROVIDER
        assert EVIL_PROVIDER in screen_text(app)
        # The topic in the tree: the list's title is the whole name, and clicking it does nothing.
        tree = app.query_one(TopicTree)
        node = tree.node_named(f"Topic: {EVIL_TOPIC}")
        assert node is not None
        tree.focus()
        tree.move_cursor(node)
        await press(pilot, "enter")
        assert border_text(app.articles) == f"Topic: {EVIL_TOPIC}"
        assert f"Topic: {EVIL_TOPIC}" in screen_text(app)
        for x in range(2, 30):
            await pilot.click("#list", offset=(x, 0))
        await settle(pilot)
        assert app.is_running
        # A saved search's name.
        h.lib.save_search(EVIL_SAVED, "hostile")
        app.main.refresh_tree()
        await settle(pilot)
        node = tree.node_named(f"Search: {EVIL_SAVED}")
        assert node is not None
        tree.focus()
        tree.move_cursor(node)
        await press(pilot, "enter")
        assert border_text(app.articles) == f"Search: {EVIL_SAVED}"
        assert f"Search: {EVIL_SAVED}" in screen_text(app)
        # The palette's second line (the help) of an article hit shows the provider literally.
        await palette(h, pilot, "Hostile")
        from textual.command import CommandList

        hits = option_texts(app.screen.query_one(CommandList))
        assert any(t.startswith("Hostile names") and EVIL_PROVIDER in t for t in hits), hits
        await press(pilot, "escape")
        assert app.is_running

    run(h, body)


def test_restart_after_new_files_keeps_the_place_and_marks_nothing_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tui_state, "READ_AFTER", 0.01)
    # The reader draws the restored article only after the first sync has reloaded the list
    # (as on a slow machine): the reload must still find the saved place.
    monkeypatch.setattr(tui_state, "PREVIEW_DELAY", 1.0)
    folder, data = copy_seeds(tmp_path), tmp_path / "data"
    lib = Library.open(folder, data)
    lib.sync()
    ids = seed_ids(lib)
    lib.save_position(ids["001"], "All")
    lib.close()
    # Newest of all: it sorts above the saved article.
    write_article(folder, "010_new.txt", title='"Fresh news"', date="2030-01-01T10:00:00Z")
    h = Harness(folder, data)

    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        assert len(app.articles.rowids) == 6
        assert h.list_ids().index(ids["001"]) > 0
        assert h.current_id() == ids["001"]
        assert app.main.article is not None and app.main.article.id == ids["001"]
        new = next(i for i in h.list_ids() if i not in ids.values())
        assert not h.lib.is_read(ids["001"]) and not h.lib.is_read(new)
        assert app.main._read_timer is None  # shown, but no dwell counts until the user moves
        # Moving onto an article (the user did something) counts, as the README says.
        await press(pilot, "j")
        assert await wait_until(pilot, lambda: h.lib.is_read(h.current_id() or ""))
        assert not h.lib.is_read(new)

    run(h, body)


def test_help_shows_binding_ids_and_searches_them(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "question_mark")
        screen = h.app.screen
        assert isinstance(screen, HelpScreen)
        texts = option_texts(screen.query_one("#help-list", OptionList))
        for command in COMMANDS:
            assert any(command.label in t and command.id in t for t in texts), command.id
        for binding_id in ("list_down", "list_first", "list_open", "back"):
            assert any(binding_id in t for t in texts), binding_id
        await pilot.press(*"list_page_up")
        await settle(pilot)
        rows = [t for t in option_texts(screen.query_one("#help-list", OptionList))]
        assert len(rows) == 2 and "PgUp" in rows[1] and "list_page_up" in rows[1], rows

    run(h, body)


def test_pipe_is_offered_in_the_palette_only_when_configured(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        assert "Pipe" not in await palette(h, pilot, "Pipe")
        await press(pilot, "escape")
        h.app.config.pipe_command = "wc -w"
        assert "Pipe" in await palette(h, pilot, "Pipe")

    run(h, body)


def test_pipe_shows_the_command_output_in_a_notice(
    h: Harness, capfd: pytest.CaptureFixture[str]
) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        h.app.config.pipe_command = "wc -w"
        await press(pilot, "vertical_line")
        assert await wait_until(pilot, lambda: any(n.strip().isdigit() for n in h.notes))
        words = next(n for n in h.notes if n.strip().isdigit())
        assert int(words) > 10
        h.app.config.pipe_command = "sh -c 'echo [bold]oops[/] >&2; exit 3'"
        await press(pilot, "vertical_line")
        assert await wait_until(pilot, lambda: any("oops" in n for n in h.notes))
        note = next(n for n in h.notes if "oops" in n)
        assert "[bold]oops[/]" in note and "exit status 3" in note
        h.app.config.pipe_command = "no-such-command-xyz"
        await press(pilot, "vertical_line")
        assert await wait_until(pilot, lambda: any("Could not run" in n for n in h.notes))
        assert h.app.is_running
        # Nothing reached the terminal.
        out, err = capfd.readouterr()
        assert words.strip() not in out and "oops" not in out + err

    run(h, body)


def test_long_link_urls_are_cut_with_an_ellipsis(tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    long_url = "https://example.com/" + "a" * 150
    write_article(
        folder,
        "011_long.txt",
        title='"Long links"',
        date="2030-01-01T10:00:00Z",
        body=f"See [the long one]({long_url}).",
        extra=f'images:\n  - url: "{long_url}.jpg"\n',
    )
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "011")
        block = links_block(h)
        assert block.count(long_url[:99] + "…") == 2
        assert long_url not in block
        await press(pilot, "f", "2")  # the full URL is what opens
        assert h.browser.calls == [safe_url(long_url + ".jpg")]

    run(h, body)


def test_space_at_the_end_of_the_last_article_stays_there(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        last = h.list_ids()[-1]
        h.app.articles.focus()
        await press(pilot, "G", "enter")
        assert h.app.main.article is not None and h.app.main.article.id == last
        reader = h.app.main.reader
        for _ in range(50):
            if reader.at_end:
                break
            await press(pilot, "space")
        end = reader.scroll_y
        await press(pilot, "space")
        assert h.app.main.article.id == last and h.current_id() == last
        assert reader.scroll_y == end and reader.at_end
        assert "This is the last article: nothing after it." in h.notes

    run(h, body)


def test_move_keys_work_in_the_topic_tree(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        tree = h.app.query_one(TopicTree)
        tree.focus()
        await press(pilot, "g")
        assert tree.cursor_line == 0
        await press(pilot, "j", "j")
        assert tree.cursor_line == 2
        await press(pilot, "k")
        assert tree.cursor_line == 1
        await press(pilot, "G")
        assert tree.cursor_line == tree.last_line
        await press(pilot, "g")
        assert tree.cursor_line == 0
        assert h.app.articles.cursor == 0  # the list did not move

    run(h, body)


def test_f_then_one_digit_follows_at_once_and_enter_for_two(tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    links = " ".join(f"[link {i}](https://example.com/{i})" for i in range(1, 13))
    write_article(folder, "012_links.txt", title='"Twelve links"', body=links)
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")  # two links: one digit is enough
        assert len(h.app.main.reader.links) < 10
        await press(pilot, "f", "1")
        assert not isinstance(h.app.screen, NumberPrompt)
        assert h.browser.calls == [safe_url(NYPOST_IMAGE)]
        await open_seed(h, pilot, "012")
        assert len(h.app.main.reader.links) == 12
        await press(pilot, "f", "1")  # could be 1, 10, 11 or 12: wait
        assert isinstance(h.app.screen, NumberPrompt)
        await press(pilot, "enter")
        assert h.browser.calls[-1] == "https://example.com/1"
        await press(pilot, "f", "1", "2")  # no third digit could follow
        assert not isinstance(h.app.screen, NumberPrompt)
        assert h.browser.calls[-1] == "https://example.com/12"
        await press(pilot, "f", "5")  # 50 and up are out of range: at once
        assert h.browser.calls[-1] == "https://example.com/5"

    run(h, body)


def test_config_problems_come_in_one_notice(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nope"\nbogus = 1\nsort = "random"\n[keys]\nnot_an_id = "x"\n')
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")
    h.app.config = config.load(path)

    async def body(pilot: Pilot[Any]) -> None:
        assert len(h.notes) == 1
        for word in ("line 1", "'nope'", "'bogus'", "'sort'", "keys.not_an_id", "line 5"):
            assert word in h.notes[0], word

    run(h, body)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_pane_widths_give_titles_room(h: Harness, size: tuple[int, int]) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        await open_seed(h, pilot, "000")
        width = size[0]
        lst, related = app.query_one("#list").region, app.query_one("#related").region
        if width >= 120:
            assert lst.width >= 0.38 * width
            assert 26 <= related.width <= 30
        text = screen_text(app)
        assert "Internal Affairs used facial" in text  # a list row's title, readable
        app.articles.focus()  # from the reader, / finds in the article instead
        await press(pilot, "slash")
        assert "Filter · Enter: search all" in screen_text(app)  # the placeholder, whole

    run(h, body, size=size)


def test_palette_has_no_duplicates_of_our_commands(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        assert (await palette(h, pilot, "Quit")).count("Quit") == 1
        await press(pilot, "escape")
        hits = await palette(h, pilot, "Maximize")
        assert "Maximize" not in hits
        await press(pilot, "escape")
        assert "Keys" not in await palette(h, pilot, "Keys")
        await press(pilot, "escape")
        assert "Theme" in await palette(h, pilot, "Theme")

    run(h, body)


def test_unread_only_shows_in_the_list_title(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "u")
        assert border_text(h.app.articles) == "All · unread only"
        await press(pilot, "u")
        assert border_text(h.app.articles) == "All"

    run(h, body)


def test_mark_all_read_counts_what_changed(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        h.lib.set_read(h.list_ids()[:3])
        await press(pilot, "A")
        assert "Marked 2 read · U undoes it" in h.notes
        await press(pilot, "A")
        assert "Nothing to mark: all of these are read." in h.notes

    run(h, body)


def test_y_without_a_url_says_so(tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    write_article(folder, "013_nourl.txt", title='"No address"', body="Text.")
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "013")
        await press(pilot, "y")
        assert h.copied == []
        assert "This article has no URL to copy." in h.notes

    run(h, body)


def _record_shows(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Every list of rowids the article list is given, in order."""
    shown: list[list[int]] = []
    real = ArticleList.show

    def recording(self: ArticleList, rowids: list[int], **kwargs: Any) -> None:
        shown.append(list(rowids))
        real(self, rowids, **kwargs)

    monkeypatch.setattr(ArticleList, "show", recording)
    return shown


@pytest.mark.parametrize("saved", ["004", "003", "000"])
def test_startup_draws_a_first_page_then_the_whole_list_at_the_saved_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved: str
) -> None:
    # Two rows make the first page here (a big folder has 1000): the page around the saved
    # place is drawn where it stands in the whole list, the rest as rowid 0, and then the
    # whole list is shown, there, with the cursor on the same row.
    monkeypatch.setattr(tui_state, "FIRST_PAGE", 2)
    folder, data = copy_seeds(tmp_path), tmp_path / "data"
    lib = Library.open(folder, data)
    lib.sync()
    ids = seed_ids(lib)
    order = lib.rowids(View())
    lib.save_position(ids[saved], "All")
    place = order.index(lib.rowid_of(ids[saved]) or 0)
    lib.close()
    h = Harness(folder, data)
    shown = _record_shows(monkeypatch)

    async def body(pilot: Pilot[Any]) -> None:
        first, last = shown[0], shown[-1]
        assert len(first) == 5 and first.count(0) == 3
        assert [r for r in first if r] == order[max(0, place - 1) : max(0, place - 1) + 2]
        assert first[place] == order[place]
        assert last == order
        assert h.app.articles.cursor == place
        assert h.current_id() == ids[saved]
        assert not any(h.lib.is_read(i) for i in ids.values())

    run(h, body)


def _held_startup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Harness, threading.Event, list[Any]]:
    """Seeds where startup shows a first page of two rows and the whole order then waits for
    ``release``: the moment at a big folder's startup when the list holds placeholders."""
    monkeypatch.setattr(tui_state, "FIRST_PAGE", 2)
    folder, data = copy_seeds(tmp_path), tmp_path / "data"
    lib = Library.open(folder, data)
    lib.sync()
    lib.close()
    release = threading.Event()
    real_ids = Library.rowids
    calls: list[Any] = []

    def held(self: Library, view: View) -> list[int]:
        calls.append(view)
        if len(calls) == 1:
            release.wait(10)
        return real_ids(self, view)

    monkeypatch.setattr(Library, "rowids", held)
    synced: list[Any] = []
    real_sync = tui_state.MainState.run_sync
    monkeypatch.setattr(
        tui_state.MainState,
        "run_sync",
        lambda self, *a: (synced.append(a), real_sync(self, *a))[1],
    )
    return Harness(folder, data), release, synced


def _drive(h: Harness, release: threading.Event, body: Any) -> None:
    async def main() -> None:
        async with h.app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                await pilot.pause()
                if h.app.articles.partial and h.app.main.article is not None:
                    break
            assert h.app.articles.partial, "the first page never showed"
            try:
                await body(pilot)
            finally:
                release.set()
            await settle(pilot)

    try:
        asyncio.run(main())
    finally:
        h.lib.close()


def test_a_key_during_startup_still_leaves_the_folder_scanned_and_the_tree_filled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, release, synced = _held_startup(tmp_path, monkeypatch)

    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("u")  # another view, while the first is still loading
        release.set()
        await settle(pilot)
        assert synced, "the startup sync never ran"
        assert h.app.query_one(TopicTree).root.children

    _drive(h, release, body)


def test_keys_on_a_row_not_loaded_yet_touch_no_other_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, release, _ = _held_startup(tmp_path, monkeypatch)

    async def body(pilot: Pilot[Any]) -> None:
        lst = h.app.articles
        lst.focus()
        lst.move_to(lst.rowids.index(0))  # a placeholder row
        assert lst.on_placeholder and lst.current is None
        await pilot.press("m", "s", "n")
        await pilot.pause()
        assert any("still loading" in note for note in h.notes)

    _drive(h, release, body)
    ids = h.ids_by_seed().values()
    assert not any(h.lib.is_read(i) for i in ids)
    assert not any(h.lib.is_starred(i) for i in ids)


def test_an_unread_only_start_whose_saved_article_is_read_draws_the_first_page_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The saved article is read, so the unread-only start view does not hold it: the list
    # starts at its top either way, and that first page is drawn before the whole order.
    monkeypatch.setattr(tui_state, "FIRST_PAGE", 2)
    folder, data = copy_seeds(tmp_path), tmp_path / "data"
    lib = Library.open(folder, data)
    lib.sync()
    ids = seed_ids(lib)
    lib.set_read([ids["004"]], True)
    lib.save_position(ids["004"], "All")
    unread = lib.rowids(View(unread=True))
    lib.close()
    h = Harness(folder, data)
    h.app.config.hide_read = True
    shown = _record_shows(monkeypatch)

    async def body(pilot: Pilot[Any]) -> None:
        assert shown[0] == unread[:2] + [0] * (len(unread) - 2)
        assert shown[-1] == unread and h.app.articles.cursor == 0

    run(h, body)


# -- read marks and layout (issue 21) ----------------------------------------------------------------


def test_mark_read_on_open_false_marks_nothing(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui_state, "READ_AFTER", 0.01)
    h.app.config.mark_read_on_open = False

    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await open_seed(h, pilot, "000")  # Enter
        await press(pilot, "n", "N", "space")
        h.app.articles.focus()
        await press(pilot, "j", "j")  # and a dwell on a preview
        assert h.app.main._read_timer is None
        await pilot.pause(0.05)
        await settle(pilot)
        assert not any(h.lib.is_read(i) for i in ids.values())
        assert "Unread  5" in screen_text(h.app)

    run(h, body)


def test_n_marks_only_the_article_it_opens(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        order = h.list_ids()
        await press(pilot, "n")
        assert h.app.articles.cursor == 1
        assert [h.lib.is_read(i) for i in order] == [False, True, False, False, False]
        assert h.app.articles.row(1).read  # type: ignore[union-attr]

    run(h, body)


def test_resizing_folds_and_unfolds_the_related_pane(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        reader, related = app.main.reader, app.query_one("#related")

        def side_by_side() -> bool:
            return related.region.x >= reader.region.right and related.region.y == reader.region.y

        def folded() -> bool:
            return related.region.y >= reader.region.bottom and related.region.x == reader.region.x

        assert side_by_side() and not app.main.has_class("-narrow")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert await wait_until(pilot, folded)
        assert app.main.has_class("-narrow")
        assert app.query_one("#left").region.width == 38
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert await wait_until(pilot, side_by_side)
        assert not app.main.has_class("-narrow")

    run(h, body)
