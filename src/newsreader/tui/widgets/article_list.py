"""The article list: a Line-API ScrollView that draws only the rows on screen.

It holds the ordered rowids of the current view (a plain list of ints, even at 100,000) and asks
the library for rows a page at a time, caching them, so a keypress costs the same at any size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from newsreader.library.library import Row
from newsreader.tui.commands import move_bindings

PAGE = 200
RowFetcher = Callable[[list[int]], list[Row]]


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
            }
        ),
        Binding("enter", "open", "Open", show=True, id="list_open"),
    ]

    DEFAULT_CSS = """
    ArticleList { background: $surface; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

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
        self.search = ""
        self._pages: dict[int, list[Row]] = {}
        self.empty_message = "No articles"
        self._user_move = False

    # -- data -------------------------------------------------------------------------------------

    def show(self, rowids: list[int], *, query: str = "", keep: str | None = None) -> None:
        """Replace the list; keep the cursor on article id ``keep`` if it is still there.

        ``rowids`` may hold 0s, for rows whose place is known but not yet which rows they are."""
        self.rowids = rowids
        self.search = query
        self._pages.clear()
        self.virtual_size = Size(self.size.width, len(rowids))
        target = 0
        if keep is not None:
            found = self.index_of(keep)
            target = found if found is not None else min(self.cursor, max(0, len(rowids) - 1))
        self.cursor = target
        self.refresh()

    def refresh_rows(self) -> None:
        """Re-read the visible rows (read/starred changed) without touching the order."""
        self._pages.clear()
        self.refresh()

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
            if len(self._pages) > 50:
                self._pages.clear()
            self._pages[page] = rows
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

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

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
            return Strip([Segment(text.ljust(width)[:width], base + Style(dim=True))])
        row = self.row(index)
        if row is None:
            return Strip.blank(width, base)
        selected = index == self.cursor
        return Strip(self._segments(row, width, selected, base)).crop_extend(0, width, base)

    def _segments(self, row: Row, width: int, selected: bool, base: Style) -> list[Segment]:
        focused = self.has_focus
        theme = self.app.current_theme
        if selected:
            primary = Color.parse(theme.primary)
            bg = (
                primary
                if focused
                else primary.blend(Color.parse(theme.background or "#000000"), 0.55)
            )
            style = base + Style(bgcolor=bg.rich_color, color=theme.foreground, bold=focused)
        else:
            style = base
        marker = (
            "★"
            if row.starred
            else ("✦" if row.new and not row.read else "●" if not row.read else " ")
        )
        date = row.published.strftime("%b %d") if row.published else ""
        # The title gets most of the row; the source a fifth of it (6 to 16 columns).
        source = _clip(row.provider, max(6, min(16, width // 5)))
        right = f" {source} {date:>6} " if width >= 36 else f" {date:>6} "
        title_width = max(1, width - 2 - len(right))
        title = _clip(row.title, title_width)
        title_style = style + Style(bold=not row.read)
        marker_style = style + Style(color=theme.accent or "yellow")
        return [
            Segment(marker + " ", marker_style),
            Segment(title.ljust(title_width), title_style),
            Segment(right, style + Style(dim=not selected)),
        ]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _missing(rowid: int) -> Row:
    return Row(rowid, "", "(removed)", "", None, True, False)
