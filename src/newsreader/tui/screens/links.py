"""Following links: a related link or a body link opens a local article in the reader, or an
http(s) URL in the browser (in a worker: a graphical browser never blocks the UI)."""

from __future__ import annotations

from textual import on, work

from newsreader.ingest.urls import safe_url
from newsreader.tui import external
from newsreader.tui.messages import BrowserFinished
from newsreader.tui.screens.tree_actions import TreeActions
from newsreader.tui.widgets.reader import ReaderView
from newsreader.tui.widgets.related import RelatedLinks, Target


class Links(TreeActions):
    """Where links lead."""

    @on(RelatedLinks.Chosen)
    def _related_chosen(self, event: RelatedLinks.Chosen) -> None:
        self.follow(event.target)

    def follow(self, target: Target) -> None:
        """Open a local article in the reader, or a URL in the browser."""
        if target.article_id:
            index = self.articles.index_of(target.article_id)
            if index is not None:
                self.articles.cursor = index
            self.open_article(target.article_id)
            self.reader.focus()
        elif target.url:
            self.open_url(target.url)

    @on(ReaderView.LinkFollowed)
    def _body_link(self, event: ReaderView.LinkFollowed) -> None:
        self.open_url(event.url)

    def open_url(self, url: str) -> None:
        """Open an http(s) URL in the browser; anything else is refused with a notice."""
        safe = safe_url(url)
        if safe is None:
            self.notify(
                f"Refused to open this link (only http and https are opened): {url[:200]!r}",
                severity="warning",
                markup=False,
            )
            return
        self._launch(safe, self.config.browser)

    @work(thread=True, exit_on_error=False, group="browser")
    def _launch(self, url: str, command: str) -> None:
        try:
            opened = external.open_in_browser(url, command)
        except Exception:  # noqa: BLE001 - any browser failure ends in showing the URL
            opened = False
        self.post_message(BrowserFinished(url, opened))

    @on(BrowserFinished)
    def _browser_finished(self, event: BrowserFinished) -> None:
        if event.opened:
            self.notify(f"Opened {event.url}", markup=False)
            return
        self.status(f"No browser could open it. The URL: {event.url}")
        self.notify(
            f"No browser worked. Copy the URL (y): {event.url}",
            severity="warning",
            timeout=20,
            markup=False,
        )
