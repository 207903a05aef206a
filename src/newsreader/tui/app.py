"""The newsreader app: topic tree and article list, reader, related links.

The app owns the state (current view, current article) and hands it to the widgets; widgets post
small messages up. Every library call runs in a thread worker, so the UI never waits on SQLite.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from newsreader import config as config_module
from newsreader import paths
from newsreader.config import Config
from newsreader.ingest.sanitize import clean_text
from newsreader.ingest.urls import safe_url
from newsreader.library.db import is_damage
from newsreader.library.library import Counts, Library, Row, View
from newsreader.library.query import parse
from newsreader.model import Article
from newsreader.tui.commands import COMMANDS, MOVES, binding_ids, bindings
from newsreader.tui.screens.modals import (
    HelpRow,
    HelpScreen,
    NumberPrompt,
    ProblemsScreen,
    TextPrompt,
)
from newsreader.tui.widgets.article_list import ArticleList
from newsreader.tui.widgets.reader import ReaderView
from newsreader.tui.widgets.related import RelatedLinks, Sections, Target
from newsreader.tui.widgets.topic_tree import TopicTree, TreeData

#: Seconds an article must stay in the reader before it counts as read (so j/k through the list
#: doesn't mark everything read); Enter marks it at once.
READ_AFTER = 1.0
#: Seconds the cursor must rest on a row before the reader draws it.
PREVIEW_DELAY = 0.06
#: Rows read first at startup, before the whole list: enough to hold the place most people
#: return to in a newest-first list (about 5 ms at 100,000 articles, against 35-130 ms).
FIRST_PAGE = 1000
#: Seconds startup waits for the first page to paint before it reads the rest of the order.
PAINT_WAIT = 0.5
#: Seconds a thread waiting for the GIL gives the one holding it (Python's default is 0.005).
SWITCH_INTERVAL = 0.001
NARROW = 110
#: The help screen's group for the moves every pane shares.
PANES = "List, tree and related pane"
BACK_HELP = "Leave the search or the zoom; back to where you were"
PALETTE_HELP = "Jump to an article, topic or source; run any command"
#: Textual's own palette commands that ours already cover (q, ?, z); its theme switcher stays.
SYSTEM_DUPLICATES = {"Quit", "Keys", "Maximize", "Minimize"}
#: Lines of a pipe command's output shown in the notice, and its time limit in seconds.
PIPE_LINES = 8
PIPE_TIMEOUT = 30
#: Config problems listed in the startup notice.
CONFIG_LINES = 6


class NewsReaderApp(App[None]):
    """A three-pane reader for one folder."""

    CSS_PATH = "newsreader.tcss"
    TITLE = "newsreader"
    BINDINGS = [*bindings(), Binding("escape", "escape", "Back", show=False, id="back")]
    COMMANDS = App.COMMANDS | {lambda: ArticleCommands}

    def __init__(
        self, library: Library, *, sync_on_start: bool = True, config: Config | None = None
    ) -> None:
        super().__init__()
        self.config = config or Config()
        self.library = library
        self.sync_on_start = sync_on_start
        self._last_visit: int | None = None
        self._first_view_done = False
        self._switch_interval = sys.getswitchinterval()
        self.view = View()
        self.view_name = "All"
        self.article: Article | None = None
        self._before_search: tuple[View, str, str | None] | None = None
        self._read_timer: Timer | None = None
        self.last_opened_url: str | None = None
        #: The query whose terms are highlighted in the reader.
        self._shown_query = ""
        start_process_helpers()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed is reported in a line, never as a traceback; the app goes on."""
        if event.worker.group == "view" and event.state in (
            WorkerState.CANCELLED,
            WorkerState.ERROR,
        ):
            # The first load was replaced (a key loaded another view) or failed: what follows
            # its paint (the tree's counts, the folder scan) must still happen.
            self._after_first_view()
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        if is_damage(error):
            # A page deep in the cache, which the checks at opening never read. Moving the file
            # aside now (open connections keep reading the old one) makes the next start
            # rebuild it; the state is a separate file and is not touched.
            aside = self.library.set_cache_aside(close=False)
            message = (
                f"The cache is damaged ({error}). It was moved aside to {aside}: quit and start "
                "again to rebuild it. Your read and starred state is kept apart and is safe."
            )
        else:
            message = f"Something went wrong: {type(error).__name__}: {error}"
        self.notify(message, severity="error", timeout=20, markup=False)

    # -- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield TopicTree(id="tree")
                yield Input(placeholder="Filter · Enter: search all", id="search")
                yield ArticleList(self.library.rows, self.library.rowid_of, id="list")
            with Horizontal(id="content"):
                yield ReaderView(id="reader")
                yield RelatedLinks(id="related")
        yield Static(Content(""), id="status")
        yield Footer()

    @property
    def articles(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def reader(self) -> ReaderView:
        return self.query_one(ReaderView)

    def _apply_config(self) -> None:
        cfg = self.config
        known = binding_ids()
        problems = cfg.problems + config_module.check_names(cfg, self.available_themes, known)
        if problems:
            # One notice for all of them: a toast each would stack up over the reader.
            # The title names the file once; each line keeps its line number.
            shown = [p.removeprefix(f"{cfg.path}, ") for p in problems[:CONFIG_LINES]]
            if len(problems) > CONFIG_LINES:
                shown.append(f"… {len(problems) - CONFIG_LINES} more: newsreader config --check")
            self.notify(
                "\n".join(shown),
                title=f"Config problems in {cfg.path} (defaults used)",
                severity="warning",
                timeout=15,
                markup=False,
            )
        if cfg.theme in self.available_themes:
            self.theme = cfg.theme
        keymap = {k: v for k, v in cfg.keys.items() if k in known}
        if keymap:
            self.set_keymap(keymap)
        for widget in self.query("#reader > #header, #reader > Markdown, #reader > #links"):
            widget.styles.max_width = cfg.reader_max_width
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: object) -> None:
        name = getattr(theme, "name", "")
        if name and name != self.config.theme and self.config.path is not None:
            self.config.theme = name
            try:
                config_module.save_setting(self.config.path, "theme", name)
            except OSError as error:
                self.notify(f"Could not save the theme: {error}", severity="warning", markup=False)

    def on_mount(self) -> None:
        # A worker's query gives up the GIL at every SQLite call and waits the switch interval
        # to get it back while the UI thread is busy: 5 ms by default, several times per query.
        # At startup that, not the queries, was most of the first paint (measured: 1.6x the
        # seeds' first paint at 100,000 articles, against 1.0x at 1 ms).
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._apply_config()
        self.query_one("#tree").border_title = Content("Library")
        self.articles.border_title = Content("All")
        self.articles.empty_message = "Loading…"  # until the first page comes
        self.reader.border_title = Content("Reader")
        self.query_one("#related").border_title = Content("Related")
        self._apply_width(self.size.width)
        for warning in self.library.warnings:
            self.notify(warning, severity="warning", timeout=15, markup=False)
        article_id, _, last_visit = self.library.position()
        if last_visit:
            # Rows that arrived since then get a "new" marker for this session.
            self.library.new_after = last_visit
        start = View(unread=self.config.hide_read)
        # The tree's counts follow the list (see _show_view): the list is what paints first.
        self.load_view(start, "All", keep=article_id, first=True)
        self.articles.focus()
        # The sync starts once the list has painted (see _after_first_view): its walk of the
        # folder is Python that holds the GIL, and at startup the first paint needs it.
        self._last_visit = last_visit

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)

    def on_resize(self) -> None:
        self._apply_width(self.size.width)

    def _apply_width(self, width: int) -> None:
        self.screen.set_class(width < NARROW, "-narrow")

    def status(self, text: str) -> None:
        """A line of plain text in the status bar."""
        self.query_one("#status", Static).update(Content(text))

    # -- loading ----------------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="view")
    def load_view(
        self,
        view: View,
        name: str,
        keep: str | None = None,
        first: bool = False,
        focus_list: bool = False,
        open_first: bool = False,
        delay: float = 0.0,
    ) -> None:
        """Query the view's rowids off the UI thread, then show them.

        ``delay`` lets a fast typist's next keystroke cancel this one before any query runs.
        """
        if view.sort != self.config.sort:
            view = replace(view, sort=self.config.sort)  # the config's order, in every list
        if delay:
            time.sleep(delay)
            if get_current_worker().is_cancelled:
                return
        if first and not view.query and self._show_first_page(view, name, keep):
            return
        rowids = self.library.ids(view)
        if get_current_worker().is_cancelled:
            return
        self.call_from_thread(
            self._show_view, view, name, rowids, keep, first, focus_list, open_first
        )

    def _show_first_page(self, view: View, name: str, keep: str | None) -> bool:
        """At startup, draw the page of rows around the place to return to (a few milliseconds
        of indexed queries) before the whole ordered list (tens of ms at 100,000 articles, most
        of it holding the GIL the first paint needs). The rest of the list stands as rowid 0
        until it comes. True when that page was the whole view: nothing more to read."""
        lib = self.library
        target = lib.rowid_of(keep) if keep else None
        start, page, total, absent = lib.first_page(view, target, FIRST_PAGE)
        if target is not None and target not in page and not absent:
            return False  # further down a list that cannot be counted: wait for all of it
        whole = start == 0 and len(page) == total
        rowids = [0] * start + page + [0] * max(0, total - start - len(page))
        self.call_from_thread(self._show_view, view, name, rowids, keep, whole, False, False)
        if not whole:
            # The whole order is read once that page is on screen: this thread's queries give
            # the GIL back and forth with the UI thread, which was laying out that page, and
            # slowed it several times over. (For the same reason the UI thread reads the rows
            # it draws itself: a few hundred rows fetched here cost it tens of milliseconds.)
            painted = threading.Event()
            self.call_from_thread(self.call_after_refresh, painted.set)
            painted.wait(PAINT_WAIT)
        return whole

    def _show_view(
        self,
        view: View,
        name: str,
        rowids: list[int],
        keep: str | None,
        first: bool,
        focus_list: bool,
        open_first: bool,
    ) -> None:
        self.view, self.view_name = view, name
        # Keep the article in hand; before the reader has drawn one (a sync can finish first),
        # that is the row under the cursor, e.g. the position restored at startup.
        row = self.articles.current
        shown = self.article.id if self.article else row.id if row else None
        current = keep if keep is not None else shown
        self.articles.show(rowids, query=view.query, keep=None if open_first else current)
        # Names come from files (topics, sources, saved searches): literal Content, never markup.
        only = " · unread only" if view.unread and name != "Unread" else ""
        self.articles.border_title = Content(name + only)
        self.articles.border_subtitle = Content(f"{len(rowids):,}")
        self.articles.empty_message = "No articles match." if view != View() else "No articles yet."
        if focus_list:
            self.articles.focus()
        if first:
            self._after_first_view()
        self.refresh_bindings()
        if open_first and rowids:
            self.articles.cursor = 0

    def _after_first_view(self) -> None:
        """Once, after the first list has painted: the tree's counts (a few hundred ms of
        Python at 100,000 articles) and the folder scan, whose threads would otherwise hold the
        GIL through the first paint."""
        if self._first_view_done:
            return
        self._first_view_done = True
        self.call_after_refresh(self.refresh_tree)
        if self.sync_on_start:
            self.call_after_refresh(self.run_sync, self._last_visit)

    @work(thread=True, exit_on_error=False, exclusive=True, group="tree")
    def refresh_tree(self) -> None:
        """Recount topics and sources off the UI thread."""
        lib = self.library
        stories = [
            (
                f"{story.size} · {story.title}",
                TreeData(View(story=story.id), f"Story: {story.title}"),
            )
            for story in lib.stories(limit=200)
        ]
        count = lib.story_count()
        title = f"Stories, {count:,} in all" if count > len(stories) else "Stories"
        data = (lib.totals(), lib.topics(), lib.sources(), lib.saved_searches(), [(title, stories)])
        self.call_from_thread(self.query_one(TopicTree).fill, *data)

    @work(thread=True, exit_on_error=False, exclusive=True, group="sync")
    def run_sync(self, last_visit: int | None = None) -> None:
        """Sync the folder in the background; the list fills and stays usable meanwhile."""
        self.call_from_thread(self.status, "Scanning the folder…")
        last_refresh = [time.monotonic()]

        def progress(done: int, total: int) -> None:
            self.call_from_thread(self.status, f"Indexing {done:,}/{total:,} files…")
            if time.monotonic() - last_refresh[0] > 1.5:
                last_refresh[0] = time.monotonic()
                self.call_from_thread(self._reload)

        warned = len(self.library.warnings)
        try:
            report = self.library.sync(progress)
        except Exception as error:  # noqa: BLE001 - the reader keeps working from the cache
            self.call_from_thread(self.status, f"Sync failed: {error}")
            return
        for warning in self.library.warnings[warned:]:  # e.g. the disk filled up: from memory
            self.call_from_thread(
                self.notify, warning, severity="warning", timeout=15, markup=False
            )
        problems = report.skipped
        text = f"{report.summary()}" + (f" · {problems} skipped: press P" if problems else "")
        if last_visit:
            new = self.library.new_since(last_visit)
            if new:
                text = f"{new} new since your last visit · " + text
        self.call_from_thread(self.status, text)
        if report.added or report.updated or report.removed:
            self.call_from_thread(self._reload)

    def _reload(self) -> None:
        self.load_view(self.view, self.view_name)
        self.refresh_tree()

    # -- reading ----------------------------------------------------------------------------------

    @on(ArticleList.Highlighted)
    def _preview(self, event: ArticleList.Highlighted) -> None:
        shown = self.article is not None and self.article.id == event.row.id
        if not shown or self._shown_query != self.view.query:
            self.load_article(event.row.id, preview=True, dwell=event.by_user)
        elif event.by_user:
            self._arm_read_timer(event.row.id, event.row.read)

    @on(ArticleList.Opened)
    def _open(self, event: ArticleList.Opened) -> None:
        self.open_article(event.row.id)
        self.reader.focus()

    def open_article(self, article_id: str) -> None:
        """Open for reading: show it and mark it read at once (a preview only marks it later).

        The mark goes through the state worker group, so a preview load that replaces this one in
        the exclusive reader group can never cancel it.
        """
        if self.config.mark_read_on_open:
            self.set_read([article_id], True)
        self.load_article(article_id)

    @work(thread=True, exit_on_error=False, exclusive=True, group="reader")
    def load_article(self, article_id: str, preview: bool = False, dwell: bool = False) -> None:
        """Fetch an article with its links and backlinks, then show it.

        A preview (the cursor moved) waits a moment first: while j is held down, each new move
        cancels this worker, so only the article the cursor rests on is ever drawn, and the list
        keeps up with the key repeat whatever the articles cost to render. ``dwell``: the user
        moved onto it, so resting on it for READ_AFTER seconds marks it read; an article shown
        for any other reason (the restored position, a refreshed list) stays unread.
        """
        if preview:
            time.sleep(PREVIEW_DELAY)
            if get_current_worker().is_cancelled:
                return
        lib = self.library
        article = lib.article(article_id)
        if article is None:
            return
        story = lib.story_of(article.id)
        same = [r for r in lib.story_rows(story) if r.id != article.id] if story else []
        sections: Sections = [
            ("Same story", same),
            ("Related coverage", lib.related(article)),
            ("Similar in your library", lib.similar(article.id)),
            ("Referenced by", lib.referenced_by(article.id)),
        ]
        inferred = [] if article.topics else lib.inferred_topics(article.id)
        lib.save_position(article.id, self.view_name)
        read = lib.is_read(article.id)
        self.call_from_thread(self._show_article, article, sections, read, inferred, dwell)

    def _show_article(
        self,
        article: Article,
        sections: Sections,
        read: bool,
        inferred: list[str],
        dwell: bool = False,
    ) -> None:
        had_article = self.article is not None
        self.article = article
        self._shown_query = self.view.query
        terms = parse(self.view.query).terms if self.view.query else []
        self.reader.show(article, terms=terms, inferred=inferred)
        self.reader.border_title = Content(article.provider or "Reader")
        self.query_one(RelatedLinks).show(sections)
        if not had_article:
            # Only when availability changes: the footer's rebuild costs a full layout.
            self.refresh_bindings()
        self._stop_read_timer()
        if dwell:
            self._arm_read_timer(article.id, read)

    def _stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.stop()
            self._read_timer = None

    def _arm_read_timer(self, article_id: str, read: bool) -> None:
        """Count the article as read if the reader still shows it in READ_AFTER seconds."""
        self._stop_read_timer()
        if self.config.mark_read_on_open and not read:
            self._read_timer = self.set_timer(READ_AFTER, lambda: self._mark_read(article_id))

    def _mark_read(self, article_id: str) -> None:
        if self.articles.on_placeholder:
            return  # the cursor has moved on, onto a row not read yet
        if self.article is not None and self.article.id == article_id:
            self.set_read([article_id], True)

    @work(thread=True, exit_on_error=False, group="state")
    def set_read(self, ids: list[str], read: bool) -> None:
        """Mark articles, then redraw rows and counts."""
        self.library.set_read(ids, read)
        self.call_from_thread(self.articles.refresh_rows)
        self.call_from_thread(self.refresh_tree)

    @work(thread=True, exit_on_error=False, group="state")
    def set_starred(self, ids: list[str], starred: bool) -> None:
        """Star articles, then redraw rows and counts."""
        self.library.set_starred(ids, starred)
        self.call_from_thread(self.articles.refresh_rows)
        self.call_from_thread(self.refresh_tree)

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

    # -- opening URLs -----------------------------------------------------------------------------

    def open_url(self, url: str, new_tab: bool = True) -> None:  # noqa: ARG002 - Textual's signature
        """Open an http(s) URL in the browser: checked and re-serialised first, launched in a worker."""
        safe = safe_url(url)
        if safe is None:
            self.notify(
                f"Refused to open this link (only http and https are opened): {url[:200]!r}",
                severity="warning",
                markup=False,
            )
            return
        self.last_opened_url = safe
        self._launch(safe)

    @work(thread=True, exit_on_error=False, group="browser")
    def _launch(self, url: str) -> None:
        try:
            opened = self.launch_browser(url)
        except Exception:  # noqa: BLE001 - any browser failure ends in showing the URL
            opened = False
        if opened:
            self.call_from_thread(self.notify, f"Opened {url}", markup=False)
        else:
            self.call_from_thread(self.status, f"No browser could open it. The URL: {url}")
            self.call_from_thread(
                self.notify,
                f"No browser worked. Copy the URL (y): {url}",
                severity="warning",
                timeout=20,
                markup=False,
            )

    def launch_browser(self, url: str) -> bool:
        """Hand the URL to the browser: the config's command, else $BROWSER or the system default
        (both through webbrowser). The URL is one argv item, never passed through a shell."""
        if self.config.browser:
            argv = shlex.split(self.config.browser)
            argv = (
                [a.replace("%s", url) for a in argv]
                if "%s" in self.config.browser
                else [*argv, url]
            )
            process = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
                check=False,
            )
            return process.returncode == 0
        return webbrowser.open(url, new=2)

    # -- actions ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        needs_article = {
            "open_original",
            "copy_url",
            "follow_link",
            "toggle_read",
            "toggle_star",
            "pipe",
        }
        if action in needs_article and self.article is None and self.articles.current is None:
            return False
        if action == "save_search" and not self.view.query:
            return False
        return True

    def offered(self, action: str) -> bool:
        """Whether the palette offers a command now: it can run, and what it needs is set up.

        The key of an unconfigured command still works, to say what to configure.
        """
        if action == "pipe" and not self.config.pipe_command:
            return False
        return self.check_action(action, ()) is True

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands, less the ones ours duplicate."""
        for command in super().get_system_commands(screen):
            if command.title not in SYSTEM_DUPLICATES:
                yield command

    def _current_id(self) -> str | None:
        if self.focused is self.reader and self.article is not None:
            return self.article.id
        if self.articles.on_placeholder:
            return None  # a row not read yet: not the article the reader last showed
        row = self.articles.current
        return row.id if row else (self.article.id if self.article else None)

    def action_toggle_read(self) -> None:
        row = self.articles.current
        article_id = self._current_id()
        if article_id:
            read = row.read if row and row.id == article_id else self.library.is_read(article_id)
            self._stop_read_timer()
            self.set_read([article_id], not read)

    def action_toggle_star(self) -> None:
        article_id = self._current_id()
        if article_id:
            starred = self.library.is_starred(article_id)
            self.set_starred([article_id], not starred)
            self.notify("Unstarred" if starred else "Starred", timeout=2)

    def action_open_original(self) -> None:
        if self.article and (self.article.url or self.article.web_url):
            self.open_url(self.article.url or self.article.web_url)
        else:
            self.notify("This article has no original URL.", severity="warning")

    def action_copy_url(self) -> None:
        if self.article and (self.article.url or self.article.web_url):
            url = self.article.url or self.article.web_url
            self.copy_to_clipboard(url)
            self.notify(f"Copied {url}", markup=False, timeout=3)
        else:
            self.notify("This article has no URL to copy.", severity="warning", timeout=3)

    def action_follow_link(self) -> None:
        links = self.reader.links
        if not links:
            self.notify("This article has no numbered links.", severity="warning")
            return

        def chosen(number: int | None) -> None:
            if number:
                self.open_url(links[number - 1][1])

        self.push_screen(NumberPrompt(len(links)), chosen)

    def action_page_reader(self) -> None:
        if self.reader.at_end:
            if self.articles.cursor >= len(self.articles.rowids) - 1:
                message = "This is the last article: nothing after it."
                # Space held down at the end would stack one toast per key repeat.
                if not any(n.message == message for n in self._notifications):
                    self.notify(message, timeout=3)
                return
            if self.articles.rowids[self.articles.cursor + 1] == 0 and self._still_loading():
                return
            self.articles.cursor += 1
            row = self.articles.current
            if row:
                self.open_article(row.id)
        else:
            self.reader.scroll_page_down(animate=False)

    def action_next_unread(self) -> None:
        if not self._still_loading():
            self._find_unread(1)

    def action_prev_unread(self) -> None:
        if not self._still_loading():
            self._find_unread(-1)

    def _still_loading(self) -> bool:
        """Say so when the list holds only its first page yet (a moment at startup)."""
        if self.articles.partial:
            self.notify("The list is still loading: try again in a moment.", timeout=3)
            return True
        return False

    @work(thread=True, exit_on_error=False, exclusive=True, group="unread")
    def _find_unread(self, direction: int) -> None:
        unread = set(self.library.ids(replace(self.view, unread=True)))
        rowids = self.articles.rowids
        if not rowids:
            self.call_from_thread(self.notify, "No more unread articles here.", timeout=3)
            return
        start = min(self.articles.cursor, len(rowids) - 1)
        order: Iterable[int] = (
            range(start + 1, len(rowids)) if direction > 0 else range(start - 1, -1, -1)
        )
        for index in order:
            if rowids[index] in unread:
                self.call_from_thread(self._go_to, index)
                return
        self.call_from_thread(self.notify, "No more unread articles here.", timeout=3)

    def _go_to(self, index: int) -> None:
        self.articles.cursor = index
        row = self.articles.current
        if row:
            self.open_article(row.id)

    def action_zoom(self) -> None:
        self.screen.toggle_class("-zoom")
        if self.screen.has_class("-zoom"):
            self.reader.focus()

    def action_rescan(self) -> None:
        self.run_sync()

    def action_help(self) -> None:
        keymap: dict[str, str] = getattr(self, "_keymap", {}) or {}
        rows = [HelpRow(c.group, c.id, keymap.get(c.id, c.keys), c.label, c.help) for c in COMMANDS]
        rows += [
            HelpRow(PANES, m.id, keymap.get(m.id, m.keys), m.label, "Move in the focused pane")
            for m in MOVES
        ]
        rows += [
            HelpRow("Article list", "list_open", keymap.get("list_open", "enter"), "Open", ""),
            HelpRow("Anywhere", "back", keymap.get("back", "escape"), "Back", BACK_HELP),
            HelpRow("Anywhere", "", "tab", "Next pane", "Move focus to the next pane"),
            HelpRow(
                "Anywhere", "", "shift+tab", "Previous pane", "Move focus to the previous pane"
            ),
            HelpRow("Anywhere", "", "ctrl+p", "Commands", PALETTE_HELP),
        ]
        order = {"Anywhere": 0, PANES: 1, "Article list": 2, "Articles": 3, "Reader": 4}
        rows.sort(key=lambda r: order.get(r.group, 9))
        self.push_screen(HelpScreen(rows))

    @work(thread=True, exit_on_error=False, group="problems")
    def action_problems(self) -> None:
        problems = self.library.problems()
        self.call_from_thread(self.push_screen, ProblemsScreen(problems))

    def action_toggle_unread_only(self) -> None:
        self.load_view(replace(self.view, unread=not self.view.unread), self.view_name)

    @work(thread=True, exit_on_error=False, group="state")
    def action_mark_all_read(self) -> None:
        # Count only what changes: the read ones in the list stay as they were.
        ids = self.library.ids_of_view(replace(self.view, unread=True))
        self.library.set_read(ids, True)
        self.call_from_thread(self.articles.refresh_rows)
        self.call_from_thread(self.refresh_tree)
        text = f"Marked {len(ids):,} read" if ids else "Nothing to mark: all of these are read."
        self.call_from_thread(self.notify, text, timeout=3)

    def action_save_search(self) -> None:
        query = self.view.query

        def named(name: str | None) -> None:
            if name:
                self.library.save_search(name, query)
                self.refresh_tree()
                self.notify(f"Saved search: {name}", markup=False, timeout=3)

        self.push_screen(TextPrompt("Name for this saved search:", query), named)

    def action_export(self) -> None:
        whole_list = self.focused is self.articles or self.article is None
        if whole_list and (not self.articles.rowids or self._still_loading()):
            return
        name = _slug(
            self.view_name if whole_list else self.article.title if self.article else "article"
        )
        default = str(Path.cwd() / f"{name}.md")

        def chosen(path: str | None) -> None:
            if path:
                self._export(Path(path).expanduser(), whole_list)

        what = (
            f"the {len(self.articles.rowids):,} articles in this list"
            if whole_list
            else "this article"
        )
        self.push_screen(TextPrompt(f"Save {what} as Markdown to:", default), chosen)

    @work(thread=True, exit_on_error=False, group="export")
    def _export(self, path: Path, whole_list: bool) -> None:
        from newsreader.export import render

        lib = self.library
        if whole_list:
            articles = [a for r in self.articles.rowids[:5000] if (a := lib.article(r)) is not None]
        else:
            articles = [self.article] if self.article else []
        try:
            path.write_text(render(articles, "markdown", self.view_name), encoding="utf-8")
        except OSError as error:
            self.call_from_thread(
                self.notify, f"Could not write {path}: {error}", severity="error", markup=False
            )
            return
        self.call_from_thread(
            self.notify, f"Saved {len(articles)} article(s) to {path}", markup=False
        )

    def action_pipe(self) -> None:
        command = self.config.pipe_command
        if not command:
            self.notify(
                "Set pipe_command in the config file first (newsreader config --path).",
                severity="warning",
            )
            return
        if self.article is not None:
            self._pipe(command, self.article)

    @work(thread=True, exit_on_error=False, group="pipe")
    def _pipe(self, command: str, article: Article) -> None:
        """Run the pipe command on the article's text, with no shell, and show what it printed.

        Its output is captured: under Textual, anything written to the terminal would be lost
        behind the screen and show up after quitting.
        """
        from newsreader.ingest.clean import to_text

        text = f"{article.title}\n\n{to_text(article.body) or article.excerpt}\n"
        try:
            done = subprocess.run(
                shlex.split(command),
                input=text.encode(),
                capture_output=True,
                timeout=PIPE_TIMEOUT,
                check=False,
                start_new_session=True,  # no controlling terminal: it cannot open /dev/tty either
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as error:
            self.call_from_thread(
                self.notify, f"Could not run {command!r}: {error}", severity="error", markup=False
            )
            return
        # The output is as untrusted as the article: no escape sequence reaches the terminal.
        output = clean_text((done.stdout + done.stderr).decode(errors="replace"))
        lines = output.strip().splitlines()
        shown = lines[:PIPE_LINES] or ["(no output)"]
        if len(lines) > PIPE_LINES:
            shown.append(f"… {len(lines) - PIPE_LINES} more lines")
        if done.returncode:
            shown.append(f"(exit status {done.returncode})")
        self.call_from_thread(
            self.notify,
            "\n".join(shown),
            title=command,
            severity="error" if done.returncode else "information",
            timeout=10,
            markup=False,
        )

    # -- search -----------------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        if self._before_search is None:
            current = self.article.id if self.article else None
            self._before_search = (self.view, self.view_name, current)
        search.add_class("-active")
        search.focus()

    @on(Input.Changed, "#search")
    def _filter(self, event: Input.Changed) -> None:
        if self._before_search is None:
            return
        view = replace(self._before_search[0], quick=event.value)
        self.load_view(view, self._before_search[1], delay=PREVIEW_DELAY)

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        self.load_view(View(query=text), f"Search: {text}", focus_list=True, open_first=True)

    def action_escape(self) -> None:
        search = self.query_one("#search", Input)
        if self.screen.has_class("-zoom"):
            self.screen.remove_class("-zoom")
            return
        if self._before_search is not None:
            view, name, article_id = self._before_search
            self._before_search = None
            search.value = ""
            search.remove_class("-active")
            self.load_view(view, name, keep=article_id, focus_list=True)
            if article_id:
                self.load_article(article_id)

    @on(TopicTree.ViewChosen)
    def _tree_chosen(self, event: TopicTree.ViewChosen) -> None:
        self.load_view(event.data.view, event.data.name, focus_list=False)


class ArticleCommands(Provider):
    """Palette: every command, plus jumping to an article, topic or source by name."""

    _places: list[tuple[str, Counts, View]] = []  # noqa: RUF012 - replaced per instance in startup()

    @property
    def news(self) -> NewsReaderApp:
        app = self.app
        assert isinstance(app, NewsReaderApp)
        return app

    def _commands(self) -> list[tuple[str, str, str]]:
        app = self.news
        return [
            (c.label, c.help, c.action) for c in COMMANDS if c.palette and app.offered(c.action)
        ]

    async def startup(self) -> None:
        """Read topics and sources once per palette opening, in a thread (slow at 100,000)."""
        lib = self.news.library
        topics, sources = await asyncio.to_thread(lambda: (lib.topics()[:500], lib.sources()[:500]))
        self._places = [("Topic", c, View(topic=c.name)) for c in topics]
        self._places += [("Source", c, View(source=c.name)) for c in sources]

    async def discover(self) -> Hits:
        for label, help_text, action in self._commands():
            yield DiscoveryHit(
                Content(label), self._runner(action), text=label, help=escape(help_text)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, action in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    _highlight(matcher, label),
                    self._runner(action),
                    text=label,
                    help=escape(help_text),
                )
        lib = self.news.library
        for kind, counts, view in self._places:
            score = matcher.match(counts.name)
            if score > 0:
                label = f"{kind}: {counts.name}"
                yield Hit(
                    score * 0.9,
                    _highlight(matcher, label, len(kind) + 2),
                    self._view(view, label),
                    text=label,
                    help=f"{counts.unread} unread of {counts.total}",
                )
        if len(query) >= 2:
            # Off the event loop: a LIKE scan of 100,000 titles takes tens of milliseconds.
            for row in await asyncio.to_thread(lib.page, View(quick=query), 0, 20):
                yield Hit(
                    0.5 + matcher.match(row.title) / 2,
                    _highlight(matcher, row.title),
                    self._article(row),
                    text=row.title,
                    # The palette parses help as markup; a provider name is file text.
                    help=escape(row.provider),
                )

    def _runner(self, action: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            await self.news.run_action(action)

        return run

    def _view(self, view: View, name: str):  # type: ignore[no-untyped-def]
        return lambda: self.news.load_view(view, name, focus_list=True)

    def _article(self, row: Row):  # type: ignore[no-untyped-def]
        return lambda: self.news.follow(Target(article_id=row.id))


def _highlight(matcher: object, text: str, skip: int = 0) -> Content:
    """Fuzzy-match highlight without ever reading ``text`` as markup (Textual's own highlight does)."""
    content = Content(text)
    search = getattr(matcher, "fuzzy_search", None)
    query = getattr(matcher, "query", "")
    if search is None:
        return content
    _, offsets = search.match(query, text[skip:])
    style = getattr(matcher, "_match_style", None) or "bold reverse"
    for offset in offsets:
        content = content.stylize(style, offset + skip, offset + skip + 1)
    return content


def _slug(text: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in slug.split("-") if part)[:60] or "export"


def start_process_helpers() -> None:
    """Start multiprocessing's resource tracker (and forkserver) before Textual takes stderr.

    They are otherwise started lazily by the first sync's process pool, from a worker thread, and
    hand ``sys.stderr.fileno()`` to their child: under Textual that is its capture object (-1),
    and the pool fails with "bad value(s) in fds_to_keep".
    """
    from multiprocessing import forkserver, resource_tracker

    from newsreader.library.sync import pool_context

    try:
        resource_tracker.ensure_running()
        if pool_context().get_start_method() == "forkserver":
            forkserver.ensure_running()
    except (OSError, ValueError):
        pass  # the sync then falls back to parsing in this process


def run(folder: str, data_dir: str | None = None) -> int:
    """Open the library for ``folder`` and run the app."""
    cfg = config_module.load()
    library = Library.open(Path(folder), paths.data_dir(data_dir, cfg.data_dir))
    try:
        NewsReaderApp(library, config=cfg).run()
    finally:
        library.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    run(os.getcwd())
