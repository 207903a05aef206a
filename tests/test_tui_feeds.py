# ruff: noqa: F811 - the server fixture is imported, and named as a parameter
"""Feeds in the reader, against a real HTTP server on 127.0.0.1: R fetches, the palette
subscribes, w saves a related web link's page, fetch_every fetches in the background."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot

from feed_fixtures import docs
from feed_fixtures.server import FeedServer, loopback_only, server  # noqa: F401 - fixtures
from newsreader.feeds.opml import Subscription, load_subscriptions, save_subscriptions
from newsreader.tui.screens import feeds_worker
from newsreader.tui.screens.feeds_worker import FeedsProgressed
from newsreader.tui.widgets.related import RelatedLinks
from tui_support import Harness, copy_seeds, plain, run, settle, write_article

PAGE = """<!doctype html><html><head><title>A page worth keeping</title></head><body>
<article><h1>A page worth keeping</h1>
<p>This is the first paragraph of a saved article, with enough words to be kept as the body.</p>
<p>This is the second paragraph, which also says something worth reading later on.</p>
<p>And a third paragraph, so the extractor sees an article rather than a stub page.</p>
</article></body></html>"""


def status(h: Harness) -> str:
    return plain(h.main.query_one("#status"))  # type: ignore[arg-type]


def test_R_fetches_keeps_the_place_and_marks_new(server: FeedServer, tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    save_subscriptions(folder, [Subscription(server.add("/two", docs.RSS20))])
    h = Harness(folder, tmp_path / "data")
    seen: list[Message] = []

    async def body(pilot: Pilot[Any]) -> None:
        assert len(h.app.articles.rowids) == 5
        await pilot.press("j", "j", "R")
        kept = h.current_id()
        await settle(pilot)
        assert len(h.app.articles.rowids) == 7
        assert h.current_id() == kept
        rows = h.lib.rows(h.app.articles.rowids)
        new = {r.title for r in rows if r.new}
        assert new == {"Koalas sleep twenty hours", "Second story"}
        assert "1 feeds, 0 failed: 2 new" in status(h)
        progress = [m.text for m in seen if isinstance(m, FeedsProgressed)]
        assert "Fetching feeds 1/1…" in progress

    run(h, body, seen=seen)


def test_R_in_a_folder_s_first_session_marks_only_fetched_items_new(
    server: FeedServer, tmp_path: Path
) -> None:
    """R before the first sync has indexed the folder (a cold first session; here the start's
    sync is off): the files already there are not new, only what the fetch brought."""
    folder = copy_seeds(tmp_path)
    save_subscriptions(folder, [Subscription(server.add("/two", docs.RSS20))])
    h = Harness(folder, tmp_path / "data")
    h.app.sync_on_start = False

    async def body(pilot: Pilot[Any]) -> None:
        assert h.app.articles.rowids == []
        await pilot.press("R")
        await settle(pilot)
        rows = h.lib.rows(h.app.articles.rowids)
        assert len(rows) == 7
        assert {r.title for r in rows if r.new} == {"Koalas sleep twenty hours", "Second story"}

    run(h, body)


def test_R_that_brings_nothing_still_shows_what_its_sync_found(
    server: FeedServer, tmp_path: Path
) -> None:
    """The files R's first sync indexed are listed, though the feed itself failed."""
    folder = copy_seeds(tmp_path)
    save_subscriptions(folder, [Subscription(server.add("/broken", "oops", status=500))])
    h = Harness(folder, tmp_path / "data")
    h.app.sync_on_start = False

    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("R")
        await settle(pilot)
        assert len(h.app.articles.rowids) == 5
        assert "1 feeds, 1 failed" in status(h)

    run(h, body)


def test_failed_feeds_are_a_notice_never_a_traceback(server: FeedServer, tmp_path: Path) -> None:
    folder = copy_seeds(tmp_path)
    subs = [server.add("/two", docs.RSS20), server.add("/broken", "oops", status=500)]
    save_subscriptions(folder, [Subscription(url) for url in subs])
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("R")
        await settle(pilot)
        assert len(h.app.articles.rowids) == 7
        failed = [n for n in h.notes if "/broken" in n]
        assert failed and "failed" in failed[0] and "Traceback" not in failed[0]
        assert "2 feeds, 1 failed" in status(h)

    run(h, body)


def test_palette_subscribes_and_fetches(server: FeedServer, tmp_path: Path) -> None:
    from textual.command import CommandPalette

    url = server.add("/two", docs.RSS20)
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+p", *"Subscribe to a feed")
        await settle(pilot)
        assert isinstance(h.app.screen, CommandPalette)
        for _ in range(50):  # the palette's search runs as a task of its own
            await pilot.pause(0.02)
            if not h.app.screen._show_busy:
                break
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*url, "enter")
        await settle(pilot)
        assert [s.url for s in load_subscriptions(h.folder)] == [url]
        assert len(h.app.articles.rowids) == 7
        assert status(h).startswith("Subscribed to Two News · 1 feeds")

    run(h, body)


def test_subscribing_to_nothing_says_why(server: FeedServer, tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")
    url = server.add("/nothing", "not a feed", headers={"Content-Type": "text/plain"})

    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("plus", *url, "enter")
        await settle(pilot)
        assert any(n.startswith("Could not subscribe") for n in h.notes), h.notes
        assert load_subscriptions(h.folder) == []
        await pilot.press("plus", *"file:///etc/passwd", "enter")
        await settle(pilot)
        assert any(n.startswith("Not an http(s) URL") for n in h.notes)

    run(h, body)


def test_w_saves_a_web_link_into_the_library(server: FeedServer, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    page = server.add("/page", PAGE, headers={"Content-Type": "text/html"})
    related = (
        f'related:\n  - title: "A page worth keeping"\n    webUrl: "{page}"\n    type: article'
    )
    write_article(folder, "a.md", title="Has a related link", body="Words.", extra=related)
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("enter")
        await settle(pilot)
        pane = h.main.query_one(RelatedLinks)
        assert "↗ web" in str(pane.get_option_at_index(1).prompt)
        pane.focus()
        await pilot.press("w")
        await settle(pilot)
        assert (folder / "saved").is_dir()
        assert len(h.app.articles.rowids) == 2
        pane = h.main.query_one(RelatedLinks)
        shown = str(pane.get_option_at_index(1).prompt)
        assert "● in library" in shown and "A page worth keeping" in shown
        pane.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert h.main.article is not None and h.main.article.title == "A page worth keeping"

    run(h, body)


def test_w_elsewhere_says_what_to_do(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("w")
        await settle(pilot)
        assert any("Highlight a ↗ web link" in n for n in h.notes)

    run(h, body)


def test_fetch_every_fetches_in_the_background(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seconds: list[str] = []

    def every(text: str) -> float | None:
        seconds.append(text)
        return 0.2 if text else None

    monkeypatch.setattr(feeds_worker, "interval_seconds", every)
    folder = copy_seeds(tmp_path)
    save_subscriptions(folder, [Subscription(server.add("/two", docs.RSS20))])
    h = Harness(folder, tmp_path / "data")
    h.app.config.fetch_every = "30m"

    async def body(pilot: Pilot[Any]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30  # a bound, not a timing: the machine may be loaded
        while len(h.app.articles.rowids) < 7 and loop.time() < deadline:
            await pilot.pause(0.05)
        assert len(h.app.articles.rowids) == 7  # no key pressed
        assert seconds == ["30m"]

    run(h, body)


def test_fetch_every_is_checked_in_the_config(tmp_path: Path) -> None:
    from newsreader import config

    path = tmp_path / "config.toml"
    for text, seconds in (("30m", 1800), ("2h", 7200), ("1d", 86400), ("", None)):
        path.write_text(f'fetch_every = "{text}"\n', encoding="utf-8")
        loaded = config.load(path)
        assert loaded.problems == [] and config.interval_seconds(loaded.fetch_every) == seconds
    for bad in ("soon", "10s", "5 parsecs", "-1h"):
        path.write_text(f'fetch_every = "{bad}"\n', encoding="utf-8")
        loaded = config.load(path)
        assert loaded.fetch_every == ""
        assert (
            len(loaded.problems) == 1
            and "line 1: 'fetch_every' must be a time like" in (loaded.problems[0])
        )
