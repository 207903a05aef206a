"""The main screen's state, the workers that load it and the handlers of what they report.

The screen owns the state as reactives (the view, the article in the reader, the loading phase)
and hands it down to the widgets with ``data_bind``; widgets post messages up. Every library
call runs in a thread worker here, given copies of what it needs; it posts its outcome as a
message (``messages.py``), handled here with ``@on`` on the UI thread. The keys' actions are in
``main.py``, the screen itself.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from newsreader.config import Config
from newsreader.library.db import is_damage
from newsreader.library.library import Library
from newsreader.library.phases import absorb_polish, describe
from newsreader.library.query import parse
from newsreader.model import Article, View
from newsreader.tui.messages import (
    ArticleLoaded,
    Notice,
    ProblemsLoaded,
    StateChanged,
    SyncFinished,
    SyncProgressed,
    TreeLoaded,
    UnreadFound,
    ViewLoaded,
    ViewRequest,
)
from newsreader.tui.screens.modals import ProblemsScreen
from newsreader.tui.settings import SORT_CHOICES
from newsreader.tui.tree_contents import feeds_data_dir, tree_contents
from newsreader.tui.widgets.article_list import ArticleList, Listing
from newsreader.tui.widgets.reader import ReaderView, Reading
from newsreader.tui.widgets.related import RelatedLinks, Sections
from newsreader.tui.widgets.too_small import TooSmall
from newsreader.tui.widgets.topic_tree import TopicTree, TreeContents

if TYPE_CHECKING:
    from newsreader.library.sync import SyncReport  # not at startup: it imports the parsers

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
#: Seconds between list reloads while a sync adds articles.
SYNC_RELOAD = 1.5
#: The list's title names any order but the default.
SORT_NAMES = {value: label.lower() for value, label in SORT_CHOICES}
#: Terminals narrower than this fold the related pane under the reader.
NARROW = 110


def status_line(report: SyncReport, skipped: int) -> str:
    """A sync's outcome for the status bar: the counts that are not 0 (so it fits 80 columns),
    and where the skipped files are listed."""
    counts = [
        (report.added, "added"),
        (report.updated, "updated"),
        (report.removed, "removed"),
        (report.duplicates, "duplicates"),
        (report.unchanged, "unchanged"),
    ]
    parts = [f"{n:,} {label}" for n, label in counts if n] or ["No articles in the folder"]
    if skipped:
        parts.append(f"{skipped:,} skipped: press P")
    return " · ".join(parts) + f" ({report.seconds:.1f} s)"


class Phase(Enum):
    """Where startup is: the first view loading, then everything else."""

    STARTING = "starting"
    READY = "ready"


class MainState(Screen[None]):
    """The three panes of the reader, the state they show, and the workers that load it."""

    #: The view the list shows, and its name for the list's title.
    view: var[View] = var(View)
    view_name: var[str] = var("All")
    #: The article in the reader.
    article: var[Article | None] = var(None)
    phase: var[Phase] = var(Phase.STARTING)
    #: Bound to the widgets (``data_bind``): what the list, reader, related pane and tree show.
    listing: var[Listing | None] = var(None, always_update=True)
    reading: var[Reading | None] = var(None, always_update=True)
    related: var[Sections | None] = var(None, always_update=True)
    tree_contents: var[TreeContents | None] = var(None, always_update=True)

    def __init__(self, library: Library, config: Config, *, sync_on_start: bool = True) -> None:
        super().__init__()
        self.library = library
        self.config = config
        self.sync_on_start = sync_on_start
        self._last_visit: int | None = None
        #: (view, name, article id) before ``/``: Escape goes back there.
        self._before_search: tuple[View, str, str | None] | None = None
        self._read_timer: Timer | None = None
        #: The article last marked with ``m``: no read timer armed later overrides that mark.
        self._marked_by_hand: str | None = None
        self._undo: tuple[str, ...] = ()  # what the last bulk mark made read
        #: The query whose terms the reader highlights.
        self._shown_query = ""

    # -- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TooSmall(id="too-small")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield TopicTree(id="tree").data_bind(contents=MainState.tree_contents)
                yield Input(placeholder="Filter · Enter: search all", id="search")
                yield ArticleList(self.library.rows, self.library.rowid_of, id="list").data_bind(
                    MainState.listing
                )
            with Horizontal(id="content"):
                yield ReaderView(id="reader").data_bind(MainState.reading)
                yield RelatedLinks(id="related").data_bind(sections=MainState.related)
        yield Static(Content(""), id="status")
        yield Footer()

    @property
    def articles(self) -> ArticleList:
        """The article list."""
        return self.query_one(ArticleList)

    @property
    def reader(self) -> ReaderView:
        """The reader."""
        return self.query_one(ReaderView)

    def on_mount(self) -> None:
        self.query_one("#tree").border_title = Content("Library")
        self.articles.border_title = Content("All")
        self.articles.empty_message = "Loading…"  # until the first page comes
        self.reader.border_title = Content("Reader")
        self.query_one("#related").border_title = Content("Related")
        for widget in self.query("#reader > #header, #reader > #links"):  # the body takes it
            widget.styles.max_width = self.config.reader_max_width
        self.on_resize()
        for warning in self.library.warnings:
            self.notify(warning, severity="warning", timeout=15, markup=False)
        article_id, _, last_visit = self.library.position()
        if last_visit:
            # Rows that arrived since then get a "new" marker for this session.
            self.library.new_after = last_visit
        self._last_visit = last_visit
        # The tree's counts and the folder scan wait for the first paint (watch_phase): the
        # scan's walk of the folder is Python that holds the GIL the first paint needs.
        start = View(unread=self.config.hide_read)
        self.load_view(ViewRequest(start, "All", keep=article_id, first=True))
        self.articles.focus()

    def on_resize(self) -> None:
        self.set_class(self.app.size.width < NARROW, "-narrow")
        self.query_one(TooSmall).fit(self.app.size)

    def status(self, text: str) -> None:
        """A line of plain text in the status bar."""
        self.query_one("#status", Static).update(Content(text))

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed is reported in a line, never as a traceback; the app goes on."""
        if event.worker.group == "view" and event.state in (
            WorkerState.CANCELLED,
            WorkerState.ERROR,
        ):
            # The first load was replaced (a key loaded another view) or failed: what follows
            # its paint (the tree's counts, the folder scan) must still happen.
            self.phase = Phase.READY
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

    # -- the list ---------------------------------------------------------------------------------

    def load_view(self, request: ViewRequest) -> None:
        """Load a view into the list, in the config's order, off the UI thread."""
        if request.view.sort != self.config.sort:
            request = replace(request, view=replace(request.view, sort=self.config.sort))
        self._load_view(request)

    @work(thread=True, exit_on_error=False, exclusive=True, group="view")
    def _load_view(self, request: ViewRequest) -> None:
        if request.delay:
            time.sleep(request.delay)
            if get_current_worker().is_cancelled:
                return
        if request.first and not request.view.query and self._first_page(request):
            return
        rowids = self.library.rowids(request.view)
        if not get_current_worker().is_cancelled:
            self.post_message(ViewLoaded(request, rowids))

    def _first_page(self, request: ViewRequest) -> bool:
        """At startup, draw the page of rows around the place to return to (a few milliseconds
        of indexed queries) before the whole ordered list (tens of ms at 100,000 articles, most
        of it holding the GIL the first paint needs). The rest of the list stands as rowid 0
        until it comes. True when that page was the whole view: nothing more to read."""
        lib, keep = self.library, request.keep
        target = lib.rowid_of(keep) if keep else None
        start, page, total, absent = lib.first_page(request.view, target, FIRST_PAGE)
        if target is not None and target not in page and not absent:
            return False  # further down a list that cannot be counted: wait for all of it
        whole = start == 0 and len(page) == total
        rowids = [0] * start + page + [0] * max(0, total - start - len(page))
        # The whole order is read once that page is on screen: this thread's queries give the
        # GIL back and forth with the UI thread, which was laying out that page, and slowed it
        # several times over. (For the same reason the UI thread reads the rows it draws
        # itself: a few hundred rows fetched here cost it tens of milliseconds.)
        painted = None if whole else threading.Event()
        self.post_message(ViewLoaded(replace(request, first=whole), rowids, painted))
        if painted is not None:
            painted.wait(PAINT_WAIT)
        return whole

    @on(ViewLoaded)
    def _view_loaded(self, event: ViewLoaded) -> None:
        request, rowids = event.request, event.rowids
        self.view, self.view_name = request.view, request.name
        # Keep the article in hand; before the reader has drawn one (a sync can finish first),
        # that is the row under the cursor, e.g. the position restored at startup.
        row = self.articles.current
        shown = self.article.id if self.article else row.id if row else None
        keep = request.keep if request.keep is not None else shown
        self.listing = Listing(rowids, keep=None if request.open_first else keep)
        # Names come from files (topics, sources, saved searches): literal Content, never markup.
        only = " · unread only" if request.view.unread and request.name != "Unread" else ""
        view = request.view
        order = "" if view.query or view.sort == "newest" else f" · {SORT_NAMES[view.sort]}"
        self.articles.border_title = Content(request.name + only + order)
        self.articles.border_subtitle = Content(f"{len(rowids):,}")
        self.articles.empty_message = self._empty_message(request.view)
        if request.focus_list:
            self.articles.focus()
        if request.first:
            self.phase = Phase.READY
        if event.painted is not None:
            self.call_after_refresh(event.painted.set)
        self.refresh_bindings()
        if request.open_first and rowids:
            self.articles.cursor = 0

    def _empty_message(self, view: View, syncing: bool | None = None) -> str:
        """What an empty list says: nothing matches, the folder is still being read, or
        there is nothing in it. ``syncing``: whether a sync runs (None: look at the workers)."""
        if replace(view, sort=View().sort) != View():
            return "No articles match."
        if syncing is None:
            syncing = any(w.group == "sync" and not w.is_finished for w in self.workers)
        return "Reading the folder…" if syncing else "No articles yet."

    def watch_phase(self, phase: Phase) -> None:
        """Once the first list has painted: the tree's counts (a few hundred ms of Python at
        100,000 articles) and the folder scan, whose threads would otherwise hold the GIL
        through the first paint."""
        if phase is Phase.READY:
            self.call_after_refresh(self.refresh_tree)
            if self.sync_on_start:
                self.call_after_refresh(self.run_sync, self._last_visit)

    def reload(self) -> None:
        """Read the view and the counts again (the folder changed)."""
        self.load_view(ViewRequest(self.view, self.view_name))
        self.refresh_tree()

    @work(thread=True, exit_on_error=False, exclusive=True, group="tree")
    def refresh_tree(self) -> None:
        """Recount the tree's branches off the UI thread (``tree_contents``)."""
        data_dir = feeds_data_dir(self.library, self.config)
        self.post_message(TreeLoaded(tree_contents(self.library, data_dir)))

    @on(TreeLoaded)
    def _tree_loaded(self, event: TreeLoaded) -> None:
        self.tree_contents = event.contents

    @on(TopicTree.ViewChosen)
    def _tree_chosen(self, event: TopicTree.ViewChosen) -> None:
        self.load_view(ViewRequest(event.data.view, event.data.name))

    # -- the folder scan --------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="sync")
    def run_sync(self, last_visit: int | None = None) -> None:
        """Sync the folder in the background; the list fills and stays usable meanwhile."""
        self.post_message(SyncProgressed("Scanning the folder…"))
        lib = self.library
        last_reload = [time.monotonic()]

        def progress(done: int, total: int, phase: str) -> None:
            reload = time.monotonic() - last_reload[0] > SYNC_RELOAD
            if reload:
                last_reload[0] = time.monotonic()
            self.post_message(SyncProgressed(describe(done, total, phase), reload))

        warned = len(lib.warnings)
        try:
            report = lib.sync(progress)
        except Exception as error:  # noqa: BLE001 - the reader keeps working from the cache
            self.post_message(SyncFinished(f"Sync failed: {error}"))
            return
        new = lib.new_since(last_visit) if last_visit else 0

        def told() -> str:
            # The files that could not be read, this sync or an earlier one (an unchanged bad
            # file is not read again: this sync alone would say "0 skipped" while P lists it).
            text = status_line(report, max(report.skipped, len(lib.problems())))
            return f"{new} new since your last visit · {text}" if new else text

        changed = bool(report.added or report.updated or report.removed)
        # e.g. the disk filled up: the session goes on from memory, and says so
        self.post_message(SyncFinished(told(), changed, lib.warnings[warned:]))
        if lib.rough_bodies():
            # A big index (this one or an earlier session's) left rough bodies, searchable
            # already: clean them fully now, in this worker, its pool at low priority; a
            # refresh or quitting stops it after a batch.
            try:
                polished = lib.polish(progress)
            except Exception as error:  # noqa: BLE001 - the next sync goes on from here
                self.post_message(SyncFinished(f"{told()} · polishing stopped: {error}"))
                return
            absorb_polish(report, polished)  # copies found once cleaned, say
            self.post_message(SyncFinished(told(), bool(polished.changed_ids)))

    @on(SyncProgressed)
    def _sync_progressed(self, event: SyncProgressed) -> None:
        self.status(event.text)
        if event.reload:
            self.reload()
        elif not self.articles.rowids:
            self.articles.empty_message = self._empty_message(self.view)
            self.articles.refresh()

    @on(SyncFinished)
    def _sync_finished(self, event: SyncFinished) -> None:
        for warning in event.warnings:
            self.notify(warning, severity="warning", timeout=15, markup=False)
        self.status(event.text)
        if event.changed:
            self.reload()
        elif not self.articles.rowids:
            # The sync's worker posted this and has not ended yet: it is over all the same.
            self.articles.empty_message = self._empty_message(self.view, syncing=False)
            self.articles.refresh()

    # -- the reader -------------------------------------------------------------------------------

    @on(ArticleList.Highlighted)
    def _preview(self, event: ArticleList.Highlighted) -> None:
        current = self.articles.current
        if current is None or current.id != event.row.id:
            return  # the cursor moved on before this was handled (J J K in one burst)
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

        The mark is a worker of its own (``set_read``), so a preview that replaces this load in
        the exclusive reader group can never cancel it.
        """
        if self.config.mark_read_on_open:
            self.set_read([article_id], True)
        self.load_article(article_id)

    def load_article(self, article_id: str, preview: bool = False, dwell: bool = False) -> None:
        """Fetch an article with its links and backlinks off the UI thread, then show it.

        A preview (the cursor moved) waits a moment first: while j is held down, each new move
        cancels the last, so only the article the cursor rests on is drawn. ``dwell``: the
        user moved onto it, so resting on it for READ_AFTER seconds marks it read; an article
        shown for any other reason (the restored position, a refreshed list) stays unread.
        """
        self._load_article(article_id, self.view_name, PREVIEW_DELAY if preview else 0.0, dwell)

    @work(thread=True, exit_on_error=False, exclusive=True, group="reader")
    def _load_article(self, article_id: str, view_name: str, delay: float, dwell: bool) -> None:
        if delay:
            time.sleep(delay)
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
        lib.save_position(article.id, view_name)
        read = lib.is_read(article.id)
        if get_current_worker().is_cancelled:
            return  # a newer load replaced this one (J pressed twice): it must not land last
        self.post_message(ArticleLoaded(article, sections, read, inferred, dwell))

    @on(ArticleLoaded)
    def _article_loaded(self, event: ArticleLoaded) -> None:
        article = event.article
        self.article = article
        self._shown_query = self.view.query
        terms = parse(self.view.query).terms if self.view.query else []
        self.reading = Reading(article, terms, event.inferred)
        self.related = event.sections
        self._stop_read_timer()
        if event.dwell:
            self._arm_read_timer(article.id, event.read)

    def watch_article(self, old: Article | None, new: Article | None) -> None:
        # Only when availability changes: the footer's rebuild costs a full layout.
        if (old is None) != (new is None):
            self.refresh_bindings()

    def _stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.stop()
            self._read_timer = None

    def _arm_read_timer(self, article_id: str, read: bool) -> None:
        """Count the article as read if the reader still shows it in READ_AFTER seconds."""
        self._stop_read_timer()
        if article_id == self._marked_by_hand:
            return  # m on it while its preview was on the way: the user's mark stands
        self._marked_by_hand = None
        if self.config.mark_read_on_open and not read:
            self._read_timer = self.set_timer(READ_AFTER, lambda: self._dwelt(article_id))

    def _dwelt(self, article_id: str) -> None:
        if self.articles.on_placeholder:
            return  # the cursor has moved on, onto a row not read yet
        if self.article is not None and self.article.id == article_id:
            self.set_read([article_id], True)

    # -- the user's marks -------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="state")
    def set_read(self, ids: list[str], read: bool) -> None:
        """Mark articles read or unread."""
        self.library.set_read(ids, read)
        self.post_message(StateChanged())

    @work(thread=True, exit_on_error=False, group="state")
    def toggle_read(self, article_id: str) -> None:
        """Mark an article read if it is unread, else unread."""
        self.library.set_read([article_id], not self.library.is_read(article_id))
        self.post_message(StateChanged())

    @work(thread=True, exit_on_error=False, group="state")
    def toggle_star(self, article_id: str) -> None:
        """Star an article, or unstar it."""
        starred = self.library.is_starred(article_id)
        self.library.set_starred([article_id], not starred)
        self.post_message(StateChanged("Unstarred" if starred else "Starred"))

    @work(thread=True, exit_on_error=False, group="state")
    def mark_all_read(self, view: View) -> None:
        """Mark every article of a view read, and say how many that changed."""
        ids = self.library.article_ids(replace(view, unread=True))  # only what changes
        self.library.set_read(ids, True)
        if not ids:
            self.post_message(StateChanged("Nothing to mark: all of these are read."))
            return
        self.post_message(StateChanged(f"Marked {len(ids):,} read · U undoes it", tuple(ids)))

    @work(thread=True, exit_on_error=False, group="state")
    def mark_below_read(self, view: View, rowid: int) -> None:
        """Mark read the article of list row ``rowid`` and every one below it in ``view``."""
        lib = self.library
        rowids = lib.rowids(view)
        below = rowids[rowids.index(rowid) :] if rowid in rowids else []
        unread = set(lib.article_ids(replace(view, unread=True)))
        ids = [row.id for row in lib.rows(below) if row.id in unread]
        if not ids:
            self.post_message(StateChanged("Nothing to mark: all of these are read."))
            return
        lib.set_read(ids, True)
        self.post_message(StateChanged(f"Marked {len(ids):,} read · U undoes it", tuple(ids)))

    @work(thread=True, exit_on_error=False, group="state")
    def save_search(self, name: str, query: str) -> None:
        """Save a search as a virtual topic of the tree."""
        self.library.save_search(name, query)
        self.post_message(StateChanged(f"Saved search: {name}"))

    @on(StateChanged)
    def _state_changed(self, event: StateChanged) -> None:
        if event.undo:
            self._undo = event.undo
        self.articles.refresh_rows()
        self.refresh_tree()
        if event.note:
            self.notify(event.note, timeout=3, markup=False)

    # -- other outcomes ---------------------------------------------------------------------------

    @on(UnreadFound)
    def _unread_found(self, event: UnreadFound) -> None:
        if event.index is None:
            self.notify("No more unread articles here.", timeout=3)
        elif event.rowids == self.articles.rowids:  # the list has not changed meanwhile
            self.go_to(event.index)

    def go_to(self, index: int) -> None:
        """Move the list's cursor to a row and open its article."""
        self.articles.cursor = index
        row = self.articles.current
        if row:
            self.open_article(row.id)

    @on(ProblemsLoaded)
    def _problems_loaded(self, event: ProblemsLoaded) -> None:
        self.app.push_screen(ProblemsScreen(event.problems, str(self.library.folder)))

    @on(Notice)
    def _notice(self, event: Notice) -> None:
        self.notify(
            event.text,
            title=event.title,
            severity=event.severity,
            timeout=event.timeout,
            markup=False,
        )
