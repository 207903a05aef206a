"""The article list: a Line-API ScrollView that draws only the rows on screen.

It holds the ordered rowids of the current view (a plain list of ints, even at 100,000) and asks
the library for rows a page at a time. Pages of rows and the rendered lines are kept in bounded
LRU caches (as toolong's ``LogLines`` does), so a keypress costs the same at any size and
scrolling back and forth over a long list reads nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from newsreader.model import Row
from newsreader.tui.commands import OPEN_ROW, move_bindings

PAGE = 200
#: Pages of rows kept (10,000 rows), and rendered lines (several screens' worth).
MAX_PAGES = 50
MAX_LINES = 1000
RowFetcher = Callable[[list[int]], list[Row]]


@dataclass(frozen=True)
class Listing:
    """What the list shows: the rowids in order, and the article to keep the cursor on."""

    rowids: list[int]
    keep: str | None = None


class ArticleList(ScrollView, can_focus=True):
    """A virtual list of articles: unread marker, title, source and date."""

    BINDINGS = [
        *move_bindings(
            {
                "list_down": "cursor(1)",
                "list_up": "cursor(-1)",
                "list_first": "first",
                "list_last": "last",
                "list_page_down": "page(1)",
                "list_page_up": "page(-1)",
                "list_half_down": "page(0.5)",
                "list_half_up": "page(-0.5)",
            }
        ),
        OPEN_ROW.binding(),
    ]

    #: Every style of a row, so a theme or the app's CSS can restyle them.
    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--cursor-blurred",
        "article-list--marker",
        "article-list--meta",
        "article-list--unread",
        "article-list--empty",
    }

    DEFAULT_CSS = """
    ArticleList { background: $surface; }
    ArticleList > .article-list--cursor { background: $primary; color: $foreground; text-style: bold; }
    ArticleList > .article-list--cursor-blurred { background: $primary 45%; color: $foreground; }
    ArticleList > .article-list--marker { color: $accent; }
    ArticleList > .article-list--meta { text-style: dim; }
    ArticleList > .article-list--unread { text-style: bold; }
    ArticleList > .article-list--empty { text-style: dim; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)
    #: What the list shows; the screen binds it (``data_bind``) and the list redraws on change.
    listing: reactive[Listing | None] = reactive(None, always_update=True)

    @dataclass
    class Highlighted(Message):
        """The cursor moved to a row (the reader previews it)."""

        row: Row
        #: The user moved there (a key or a click), not a list refresh or a restored position.
        by_user: bool = False

    @dataclass
    class Opened(Message):
        """Enter on a row: open it for reading."""

        row: Row

    def __init__(
        self, fetch: RowFetcher, rowid_of: Callable[[str], int | None], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._fetch = fetch
        self._rowid_of = rowid_of
        self.rowids: list[int] = []
        self._pages: LRUCache[int, list[Row]] = LRUCache(MAX_PAGES)
        self._lines: LRUCache[tuple[int, int, bool, bool], Strip] = LRUCache(MAX_LINES)
        self.empty_message = "No articles"
        self._user_move = False

    # -- data -------------------------------------------------------------------------------------

    def watch_listing(self, listing: Listing | None) -> None:
        if listing is not None:
            self.show(listing.rowids, keep=listing.keep)

    def show(self, rowids: list[int], *, keep: str | None = None) -> None:
        """Replace the list; keep the cursor on article id ``keep`` if it is still there.

        ``rowids`` may hold 0s, for rows whose place is known but not yet which rows they are."""
        self.rowids = rowids
        self._forget()
        self.virtual_size = Size(self.size.width, len(rowids))
        target = 0
        if keep is not None:
            found = self.index_of(keep)
            target = found if found is not None else min(self.cursor, max(0, len(rowids) - 1))
        self.cursor = target
        self.refresh()

    def refresh_rows(self) -> None:
        """Re-read the visible rows (read/starred changed) without touching the order."""
        self._forget()
        self.refresh()

    def _forget(self) -> None:
        """Drop the cached rows and lines: what they show has changed."""
        self._pages.clear()
        self._lines.clear()

    def notify_style_update(self) -> None:
        # A new theme or focus style: the rendered lines are stale, the rows are not.
        self._lines.clear()
        super().notify_style_update()

    def row(self, index: int) -> Row | None:
        """The row at ``index``, fetched with its page on first use; None for a row not known yet
        (rowid 0: at startup the list may hold one page of the view, in place, while the rest of
        its order is still coming)."""
        if not 0 <= index < len(self.rowids):
            return None
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            wanted = self.rowids[page * PAGE : (page + 1) * PAGE]
            fetched = {r.rowid: r for r in self._fetch([rowid for rowid in wanted if rowid])}
            rows = [fetched.get(rowid) or _missing(rowid) for rowid in wanted]
            self._pages.set(page, rows)
        return rows[index - page * PAGE] if self.rowids[index] else None

    @property
    def partial(self) -> bool:
        """Whether the list still holds placeholders (rowid 0) for rows not read yet: they are
        the rows before and after the one page startup reads first (see ``show``)."""
        return bool(self.rowids) and (self.rowids[0] == 0 or self.rowids[-1] == 0)

    @property
    def on_placeholder(self) -> bool:
        """Whether the cursor is on a row not read yet."""
        return 0 <= self.cursor < len(self.rowids) and self.rowids[self.cursor] == 0

    @property
    def current(self) -> Row | None:
        """The row under the cursor."""
        return self.row(self.cursor)

    def index_of(self, article_id: str) -> int | None:
        """Where an article is in the list: one indexed lookup, then a scan of plain ints."""
        rowid = self._rowid_of(article_id)
        if rowid is None:
            return None
        try:
            return self.rowids.index(rowid)
        except ValueError:
            return None

    # -- cursor -----------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        if not self.rowids:
            if new != 0:
                self.cursor = 0
            return
        clamped = max(0, min(new, len(self.rowids) - 1))
        if clamped != new:
            self.cursor = clamped
            return
        self.scroll_to_region_y(new)
        self.refresh()
        row = self.current
        if row is not None:
            self.post_message(self.Highlighted(row, by_user=self._user_move))

    def scroll_to_region_y(self, index: int) -> None:
        """Keep the cursor row on screen."""
        height = self.scrollable_content_region.height or 1
        if index < self.scroll_y:
            self.scroll_to(y=index, animate=False)
        elif index >= self.scroll_y + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def move_to(self, index: int) -> None:
        """Move the cursor for the user: only such a move can count as reading (a dwell)."""
        self._user_move = True
        try:
            self.cursor = index
        finally:
            self._user_move = False

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.rowids) - 1)

    def action_page(self, pages: float) -> None:
        step = max(1, int(abs(pages) * (self.scrollable_content_region.height - 1)))
        self.move_to(self.cursor + (step if pages > 0 else -step))

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        if 0 <= index < len(self.rowids):
            self.move_to(index)
            if event.chain >= 2:
                self.action_open()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rowids))

    # -- drawing ----------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_y) + y
        base = self.rich_style
        if not self.rowids:
            text = f" {self.empty_message}" if y == 0 else ""
            empty = self.get_component_rich_style("article-list--empty", partial=True)
            return Strip([Segment(text.ljust(width)[:width], base + empty)])
        row = self.row(index)
        if row is None:
            return Strip.blank(width, base)
        selected = index == self.cursor
        key = (index, width, selected, selected and self.has_focus)
        line = self._lines.get(key)
        if line is None:
            line = Strip(self._segments(row, width, selected, base)).crop_extend(0, width, base)
            self._lines.set(key, line)
        return line

    def _segments(self, row: Row, width: int, selected: bool, base: Style) -> list[Segment]:
        style = base
        if selected:
            cursor = "article-list--cursor" if self.has_focus else "article-list--cursor-blurred"
            style = base + self.get_component_rich_style(cursor)
        part = self.get_component_rich_style
        marker = (
            "★"
            if row.starred
            else ("✦" if row.new and not row.read else "●" if not row.read else " ")
        )
        date = short_date(row.published)
        # The title gets most of the row: the source only when the list is wide (6 to 14
        # columns), the date (6 or 9 columns) at the right edge. Widths are terminal cells.
        if width >= 44:
            source_width = max(6, min(14, width // 6))
            source = set_cell_size(_clip(row.provider, source_width), source_width)
            right = f" {source} {date:>9}"  # padded, so the source makes a column
        else:
            right = f" {date}"
        title_width = max(1, width - 2 - cell_len(right))
        title = set_cell_size(_clip(row.title, title_width), title_width)
        # A read title is never bold, not even under the focused cursor.
        title_style = style + (
            part("article-list--unread", partial=True) if not row.read else Style(bold=False)
        )
        meta_style = style if selected else style + part("article-list--meta", partial=True)
        return [
            Segment(marker + " ", style + part("article-list--marker", partial=True)),
            Segment(title, title_style),
            Segment(right, meta_style),
        ]


def short_date(when: datetime | None, now: datetime | None = None) -> str:
    """A date for a list row: ``04 Jun`` this year, ``20 Dec 19`` before (the year counts)."""
    if when is None:
        return ""
    year = (now or datetime.now(when.tzinfo)).year
    return when.strftime("%d %b") if when.year == year else when.strftime("%d %b %y")


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells (a CJK character or an emoji takes two)."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)).rstrip(" ") + "…" if width > 0 else ""


def _missing(rowid: int) -> Row:
    return Row(rowid, "", "(removed)", "", None, True, False)
