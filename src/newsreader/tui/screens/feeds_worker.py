"""Feeds in the reader: fetch all (``R``, or every ``fetch_every``), subscribe from the palette,
and save a related "↗ web" link's page into the library.

The feeds core (``newsreader.feeds``) is Textual-free and runs here in thread workers; each
posts its outcome as a message, handled on the UI thread, which reloads the list and the tree
the way the screen does after a sync of its own. The feeds core is imported by the workers,
not here: httpx, feedparser and the writer would add 0.2-0.4 s to every start (issue 20).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.message import Message
from textual.notifications import SeverityLevel

from newsreader import paths
from newsreader.config import interval_seconds
from newsreader.ingest.sanitize import clean_line
from newsreader.ingest.urls import safe_url
from newsreader.tui.screens.freshness import Freshness
from newsreader.tui.screens.modals import TextPrompt
from newsreader.tui.widgets.related import RelatedLinks

if TYPE_CHECKING:
    from newsreader.feeds.fetch import FeedResult

#: Failed feeds named one a line in the notice after a fetch; the rest are counted.
FAILED_LINES = 5


@dataclass
class FeedsProgressed(Message):
    """A fetch got on: a line for the status bar."""

    text: str


@dataclass
class FeedsFetched(Message):
    """A fetch (or a subscription) ended: its summary, whether the library changed, and a
    notice for what failed ("" when nothing did)."""

    text: str
    changed: bool = False
    failures: str = ""
    severity: SeverityLevel = "warning"
    warnings: list[str] = field(default_factory=list)


@dataclass
class PageSaved(Message):
    """A web page was saved into the library (``error`` says why not)."""

    url: str
    title: str = ""
    error: str = ""


class FeedsState(Freshness):
    """The main screen's state, with the workers and actions for feeds."""

    @on(events.Mount)
    def _start_fetch_timer(self) -> None:
        every = interval_seconds(self.config.fetch_every)
        if every:
            self.set_interval(every, self._fetch_in_background, name="fetch_every")

    @property
    def data_dir(self) -> Path:
        """Where the fetch state lives: beside the library's cache."""
        cache = self.library.cache_path
        return cache.parent.parent if cache else paths.data_dir(None, self.config.data_dir)

    # -- actions ----------------------------------------------------------------------------------

    def action_fetch_feeds(self) -> None:
        if self._fetching():
            self.notify("Feeds are being fetched already.", timeout=3)
            return
        self.fetch_feeds()

    def action_subscribe(self) -> None:
        def entered(text: str | None) -> None:
            if not text or not text.strip():
                return
            url = safe_url(text.strip())
            if url is None:
                self.notify(
                    f"Not an http(s) URL: {clean_line(text, 200)}", severity="error", markup=False
                )
            elif self._fetching():
                self.notify("Feeds are being fetched: subscribe when that is done.", timeout=5)
            else:
                self.fetch_feeds(subscribe_to=url)

        self.app.push_screen(
            TextPrompt("Subscribe to a feed (its URL, or a page that announces one):", ""), entered
        )

    def action_save_link(self) -> None:
        pane = self.query_one(RelatedLinks)
        target = None
        if pane.highlighted is not None:
            option = pane.get_option_at_index(pane.highlighted)
            target = pane.targets.get(option.id or "")
        if target is None or not target.url:
            self.notify(
                "Highlight a ↗ web link in the related pane first (Tab moves there).",
                severity="warning",
                timeout=4,
            )
            return
        self.status(f"Saving {clean_line(target.url, 200)}…")
        self._save_page(target.url)

    # -- workers ----------------------------------------------------------------------------------

    def _fetching(self) -> bool:
        return any(w.group == "feeds" and not w.is_finished for w in self.workers)

    def _fetch_in_background(self) -> None:
        if not self._fetching():
            self.fetch_feeds()

    @work(thread=True, exit_on_error=False, exclusive=True, group="feeds")
    def fetch_feeds(self, subscribe_to: str = "") -> None:
        """Fetch every feed (after subscribing to ``subscribe_to``), then sync the library."""
        from newsreader.feeds.fetch import fetch_all, subscribe

        lib = self.library
        prefix = ""
        if subscribe_to:
            self.post_message(FeedsProgressed(f"Subscribing to {clean_line(subscribe_to, 200)}…"))
            try:
                sub = subscribe(lib.folder, subscribe_to)
            except Exception as error:  # noqa: BLE001 - FetchError, FeedError, OSError: one line
                text = f"Could not subscribe: {clean_line(str(error), 300)}"
                self.post_message(FeedsFetched(text, failures=text, severity="error"))
                return
            prefix = f"Subscribed to {clean_line(sub.title or sub.url, 120)} · "
        self.post_message(FeedsProgressed("Fetching feeds…"))

        def progress(done: int, total: int, _result: FeedResult) -> None:
            self.post_message(FeedsProgressed(f"Fetching feeds {done:,}/{total:,}…"))

        warned = len(lib.warnings)
        try:
            # What this fetch adds is new (✦) in this session, like what arrived since the last
            # visit, and only that: the folder's other files are synced first (a first session
            # may not have indexed them yet), in a second before the one the fetch's are.
            first = lib.sync()
            before = int(time.time())
            lib.new_after = min(lib.new_after, before)
            report = fetch_all(lib.folder, None, self.data_dir, progress=progress)
            if any(f.counts.new or f.counts.updated for f in report.feeds):
                time.sleep(max(0.0, before + 1 - time.time()))  # "added" counts in seconds
                report.sync_summary = lib.sync().summary()
        except Exception as error:  # noqa: BLE001 - e.g. an unreadable .feeds.opml: one line
            text = f"Fetch failed: {clean_line(str(error), 300)}"
            self.post_message(FeedsFetched(prefix + text, failures=text, severity="error"))
            return
        if not report.feeds:
            text = "No feeds yet: the palette's “Subscribe to a feed…” adds one."
            self.post_message(FeedsFetched(prefix + text))
            return
        failed = report.failed
        lines = [clean_line(f.line(), 300) for f in failed[:FAILED_LINES]]
        if len(failed) > FAILED_LINES:
            lines.append(f"… {len(failed) - FAILED_LINES} more: newsreader feeds list")
        text = prefix + report.summary()
        changed = bool(report.sync_summary or first.added or first.updated or first.removed)
        self.post_message(
            FeedsFetched(text, changed, "\n".join(lines), warnings=lib.warnings[warned:])
        )

    @on(FeedsProgressed)
    def _feeds_progressed(self, event: FeedsProgressed) -> None:
        self.status(event.text)

    @on(FeedsFetched)
    def _feeds_fetched(self, event: FeedsFetched) -> None:
        for warning in event.warnings:
            self.notify(warning, severity="warning", timeout=15, markup=False)
        self.status(event.text)
        if event.failures:
            title = "Fetch" if event.severity == "error" else "Some feeds failed"
            self.notify(
                event.failures, title=title, severity=event.severity, timeout=15, markup=False
            )
        self.rebase()
        if event.changed:
            self.reload()
        else:
            self.refresh_tree()  # a feed's last error or fetch time changed

    @work(thread=True, exit_on_error=False, group="save_page")
    def _save_page(self, url: str) -> None:
        from newsreader.feeds.fetch import save_page

        lib = self.library
        try:
            path = save_page(lib.folder, url)
            lib.sync()
        except Exception as error:  # noqa: BLE001 - FetchError, FeedError, OSError: one line
            self.post_message(PageSaved(url, error=clean_line(str(error), 300)))
            return
        self.post_message(PageSaved(url, title=path.name))

    @on(PageSaved)
    def _page_saved(self, event: PageSaved) -> None:
        url = clean_line(event.url, 200)
        if event.error:
            self.status(f"Could not save {url}")
            self.notify(
                f"Could not save {url}: {event.error}", severity="error", timeout=10, markup=False
            )
            return
        self.status(f"Saved {url} into the library ({event.title})")
        self.rebase()
        self.reload()
        if self.article is not None:
            # Its related pane again: the link now opens the saved copy in the reader.
            self.load_article(self.article.id)
