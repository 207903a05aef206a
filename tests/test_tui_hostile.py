"""Hostile article files in the TUI: markup shows literally, actions in markup never run, and no
control or escape sequence from a file reaches the terminal.

The files put Textual markup (``[@click=app.quit]``, ``[bold]``, a bare ``[/]``), Rich-style
tags, ANSI CSI and OSC sequences (OSC 8 hyperlinks, OSC 52 clipboard, window title) and C1
controls in every field the UI shows: title, provider, topics, excerpt, body, related links.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

import newsreader.tui.screens.state as tui_state
from newsreader.tui.widgets.related import RelatedLinks
from newsreader.tui.widgets.topic_tree import TopicTree
from tui_support import (
    Harness,
    copy_seeds,
    plain,
    press,
    region_text,
    run,
    screen_lines,
    screen_text,
    settle,
    wait_until,
    write_article,
    yaml_str,
)

CLICK = "Click [@click=app.quit]here[/]"
BOLD = "[bold]x[/]"
CLOSE = "[/]"
ESC_RED = "\x1b[31mred\x1b[0m"
OSC_LINK = "\x1b]8;;https://evil.example/\x1b\\innocent\x1b]8;;\x1b\\"
OSC_CLIP = "\x1b]52;c;cm0gLXJmIH4=\x07"
OSC_TITLE = "\x1b]0;pwned\x07"
C1_CSI = "\x9b2J"
CONTROL = (
    set(chr(c) for c in range(0x20) if chr(c) not in "\n\t")
    | {"\x7f"}
    | set(chr(c) for c in range(0x80, 0xA0))
)


@pytest.fixture(autouse=True)
def _no_read_on_dwell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Previewing an article marks it read after READ_AFTER seconds; a slow CI run would cross
    that line at random, so tests switch it off (one test below checks it on purpose)."""
    monkeypatch.setattr(tui_state, "READ_AFTER", 3600.0)


def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    folder.mkdir()
    related = f"""related:
  - title: {yaml_str(CLICK + " related")}
    excerpt: {yaml_str(BOLD + ESC_RED)}
    webUrl: "https://example.com/related-1"
    publishedDateTime: 2022-01-02T00:00:00Z
    provider:
      name: {yaml_str("[@click=app.quit]Prov[/]")}
      domain: example.com
  - title: "javascript link"
    webUrl: "javascript:alert(1)"
"""
    files = {
        "h1.txt": dict(
            title=CLICK,
            provider="[@click=app.quit]Source[/]",
            topics=[CLICK, "[red]t[/]"],
            excerpt=f"{CLICK} {OSC_LINK}",
            body="",
            extra=related,
        ),
        "h2.txt": dict(
            title=BOLD,
            provider="[b]P[/b]",
            topics=[CLOSE],
            excerpt="",
            body=f"{CLICK}\n\n{BOLD} {CLOSE} {ESC_RED}\n\n{OSC_LINK}\n{OSC_CLIP}\n"
            f"[link](javascript:alert(1)) [ok](https://example.com/ok)\n",
        ),
        "h3.txt": dict(
            title=f"{CLOSE} and {ESC_RED}{OSC_TITLE}",
            provider="Esc\x1b[2JCorp",
            topics=["[@click=app.bell]"],
            excerpt=f"{OSC_CLIP}{C1_CSI}",
            body="",
        ),
        "h4.txt": dict(
            title=f"Title {OSC_LINK} {C1_CSI} end",
            provider="P",
            topics=[],
            excerpt="",
            body=f"Body with raw escapes {ESC_RED} {OSC_TITLE} {OSC_CLIP} \x07 bell",
        ),
    }
    for index, (name, spec) in enumerate(files.items()):
        topics = "".join(f"\n  - {yaml_str(t)}" for t in spec["topics"])
        lines = [
            "---",
            f"title: {yaml_str(spec['title'])}",
            f"excerpt: {yaml_str(spec['excerpt'])}" if spec["excerpt"] else "",
            f"publishedDateTime: 2022-01-0{index + 1}T10:00:00Z",
            f'originalUrl: "https://example.com/{name}"',
            f"provider:\n  name: {yaml_str(spec['provider'])}\n  domain: example.com",
            f"topics:{topics}" if topics else "",
            spec["extra"] if spec.get("extra") else "",
            "---",
            spec["body"],
        ]
        # The body is not YAML: raw escape bytes go straight into the file.
        (folder / name).write_text(
            "\n".join(line for line in lines if line != "") + "\n", encoding="utf-8"
        )
    # A plain-text file: first line is the title.
    prose = " ".join(["This plain text article has enough words to count as an article."] * 12)
    (folder / "h5.txt").write_text(
        f"{CLICK} plain {ESC_RED}\n\n{prose}\n\nBody {BOLD} {OSC_CLIP} {prose}\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(hostile_folder(tmp_path), tmp_path / "data")


def assert_clean(lines: list[str]) -> None:
    """No control character (ESC, BEL, C1 …) in what the screen shows."""
    for number, line in enumerate(lines):
        bad = CONTROL & set(line)
        assert not bad, (number, line, bad)


def assert_screen_clean(h: Harness) -> None:
    assert_clean(screen_lines(h.app))
    for strip in h.app.screen._compositor.render_strips():
        for segment in strip:
            assert not CONTROL & set(segment.text), segment


def test_all_hostile_files_are_listed(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        assert len(h.app.articles.rowids) == 5
        assert h.lib.problems() == []

    run(h, body)


def test_walking_every_article_shows_markup_literally_and_never_runs_it(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        seen_titles = []
        for index in range(len(app.articles.rowids)):
            app.articles.focus()
            if index:
                await press(pilot, "j")
            await press(pilot, "enter")
            assert app.is_running
            assert app.main.article is not None
            seen_titles.append(app.main.article.title)
            head = plain(app.main.reader.query_one("#header", Static))
            assert app.main.article.title in head  # literally, brackets and all
            assert_screen_clean(h)
        assert app.articles.cursor == 4
        titles = "\n".join(seen_titles)
        assert CLICK in titles and BOLD in titles and CLOSE in titles
        assert "red" in titles and "\x1b" not in titles

    run(h, body)


def test_click_markup_in_a_title_is_text_not_an_action(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        ids = {h.lib.article(r.id).title: r.id for r in h.lib.rows(app.articles.rowids)}  # type: ignore[union-attr]
        app.articles.cursor = h.list_ids().index(ids[CLICK])
        await settle(pilot)
        await press(pilot, "enter")
        text = screen_text(app)
        assert "[@click=app.quit]" in text
        assert CLICK in text
        header = app.main.reader.query_one("#header", Static)
        # Click all along the title line (and the excerpt): were the markup live, "here" would quit.
        for y in range(0, 4):
            for x in range(0, min(60, header.region.width), 3):
                await pilot.click(header, offset=(x, y))
        await settle(pilot)
        assert app.is_running
        # The list row, the tree and the related pane show it literally too.
        assert "Click [@click=app.quit]" in text  # the list row (cut to width)
        tree = app.query_one(TopicTree)
        assert any(CLICK in str(node.label) for node in tree._tree_nodes.values())
        related = [getattr(o.prompt, "plain", "") for o in app.query_one(RelatedLinks).options]
        assert any(f"{CLICK} related" in t for t in related)
        assert any("[@click=app.quit]Prov[/]" in t for t in related)
        # Clicking the tree and related pane entries runs no markup action either.
        for widget in (tree, app.query_one(RelatedLinks), app.articles):
            for y in range(1, min(8, widget.region.height - 1)):
                await pilot.click(widget, offset=(2, y))
            await settle(pilot)
            assert app.is_running
        assert_screen_clean(h)

    run(h, body)


def test_notifications_show_hostile_text_literally(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        # A saved-search name and a refused URL land in notifications verbatim.
        await press(pilot, "/")
        app.query_one("#search", Input).value = "here"
        await press(pilot, "enter")
        await press(pilot, "S")
        prompt = app.screen.query_one(Input)
        prompt.value = BOLD
        await press(pilot, "enter")
        app.open_url(f"javascript:{CLICK}")
        await settle(pilot)
        assert f"Saved search: {BOLD}" in h.notes
        assert await wait_until(pilot, lambda: f"Saved search: {BOLD}" in screen_text(app))
        text = screen_text(app)
        assert "[@click=app.quit]" in text
        assert app.is_running
        assert h.browser.calls == []
        assert h.lib.saved_searches() == [(BOLD, "here")]
        assert app.query_one(TopicTree).node_named(f"Search: {BOLD}") is not None
        assert_screen_clean(h)

    run(h, body, notifications=True)


def test_opening_and_copying_hostile_articles(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        for index in range(len(app.articles.rowids)):
            app.articles.cursor = index
            await settle(pilot)
            await press(pilot, "o", "y")
        assert h.browser.calls and all(
            u.startswith("https://example.com/") for u in h.browser.calls
        )
        assert all(not CONTROL & set(u) for u in h.browser.calls + h.copied)
        # The related pane's javascript: link never reaches the browser.
        app.articles.cursor = next(
            i for i, r in enumerate(h.lib.rows(app.articles.rowids)) if r.title == CLICK
        )
        await settle(pilot)
        related = app.query_one(RelatedLinks)
        before = list(h.browser.calls)
        related.focus()
        for index, option in enumerate(related.options):
            if not option.disabled:
                related.highlighted = index
                await press(pilot, "enter")
        assert all(u.startswith("https://") for u in h.browser.calls[len(before) :])
        assert app.is_running
        assert_screen_clean(h)

    run(h, body)


def test_palette_shows_hostile_titles_literally(h: Harness) -> None:
    from textual.command import CommandList, CommandPalette

    async def body(pilot: Pilot[Any]) -> None:
        app = h.app
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"click")
        await settle(pilot)
        for _ in range(50):
            await pilot.pause(0.02)
            if not app.screen._show_busy and app.screen.query_one(CommandList).option_count:
                break
        hits = [
            getattr(o.prompt, "plain", str(o.prompt))
            for o in app.screen.query_one(CommandList).options
        ]
        assert any(CLICK in t for t in hits), hits
        assert await wait_until(pilot, lambda: "[@click=app.quit]" in screen_text(app))
        assert_screen_clean(h)
        await press(pilot, "enter")
        assert app.is_running

    run(h, body)


def test_help_and_problems_with_a_hostile_file_name(tmp_path: Path) -> None:
    folder = hostile_folder(tmp_path)
    (folder / "[@click=app.quit]bad[b].txt").write_bytes(b"\x00\x01\x02" * 400 + b"\xff\xfe")
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await press(pilot, "P")
        listing = h.app.screen.query_one("#problems-list", OptionList)
        texts = [getattr(o.prompt, "plain", "") for o in listing.options]
        assert any("[@click=app.quit]bad[b].txt" in t for t in texts)
        assert await wait_until(
            pilot, lambda: "[@click=app.quit]bad[b].txt" in region_text(h.app, listing)
        )
        assert_screen_clean(h)
        await press(pilot, "escape", "question_mark")
        await pilot.press(*"[b]")
        await settle(pilot)
        assert h.app.is_running

    run(h, body)


def test_damage_met_in_use_is_a_notice_not_a_crash(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")
    cache = h.lib.cache_path
    assert cache is not None

    def damaged(*args: object, **kwargs: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    async def body(pilot: Pilot[Any]) -> None:
        h.lib.article = damaged  # type: ignore[assignment,method-assign]
        await press(pilot, "j")
        assert h.app.is_running
        assert any("cache is damaged" in n and "safe" in n for n in h.notes), h.notes
        # moved aside, so the next start rebuilds it; the state file is where it was
        assert not cache.exists() and list(cache.parent.glob(cache.name + ".corrupt-*"))
        assert (tmp_path / "data" / "state.sqlite").exists()

    run(h, body)


def test_an_enormous_body_and_thousands_of_links_are_drawn_capped(tmp_path: Path) -> None:
    from textual.widgets import Markdown

    from newsreader.tui.widgets import reader as reader_module

    folder = tmp_path / "big"
    folder.mkdir()
    paragraph = "A paragraph of an enormous article, written to be long. " * 20
    links = " ".join(f"[link {i}](https://example.com/{i})" for i in range(2000))
    body = links + "\n\n" + "\n\n".join([paragraph] * 280)  # ~390,000 characters
    write_article(folder, "huge.md", title="Huge", url="https://example.com/huge", body=body)
    h = Harness(folder, tmp_path / "data")

    async def body_test(pilot: Pilot[Any]) -> None:
        app = h.app
        app.articles.cursor = 0
        await press(pilot, "enter")
        source = app.query_one("#body", Markdown).source
        assert len(source) < reader_module.MAX_DISPLAY + 500
        assert "goes on for" in source and "press e to export it whole" in source
        listed = plain(app.query_one("#links", Static))
        assert "[300]" in listed and "[301]" not in listed and "1,700 more" in listed
        assert len(app.main.reader.links) == 2000  # every link still has its number for f
        await press(pilot, "f", "1", "9", "9", "9", "enter")
        assert h.browser.calls[-1] == "https://example.com/1998"
        assert app.is_running

    run(h, body_test)
