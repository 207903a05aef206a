"""The related pane: other coverage from ``related[]``, local articles first-class, and backlinks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from newsreader.model import Link, Row
from newsreader.tui.commands import move_bindings

MAX_SHOWN = 300
#: Titled sections of entries: related links, or local articles.
Sections = list[tuple[str, Sequence[Link | Row]]]


@dataclass(frozen=True)
class Target:
    """What an entry opens: a local article (by id) or a URL in the browser."""

    article_id: str = ""
    url: str = ""


def _date(value: object) -> str:
    return value.strftime("%d %b %Y") if hasattr(value, "strftime") else ""


def _local_id(entry: Link | Row) -> str:
    """The id of the local article an entry opens ("" for a web link)."""
    if isinstance(entry, Row):
        return entry.id
    return entry.local.id if entry.local else ""


class RelatedLinks(OptionList):
    """Related links (local ones marked and opened in the reader) and 'Referenced by'."""

    DEFAULT_CSS = """
    RelatedLinks { padding: 0 1; }
    """

    BINDINGS = move_bindings(
        {
            "list_down": "cursor_down",
            "list_up": "cursor_up",
            "list_first": "first",
            "list_last": "last",
            "list_page_down": "page_down",
            "list_page_up": "page_up",
        }
    )

    @dataclass
    class Chosen(Message):
        """An entry was chosen (Enter or click)."""

        target: Target

    #: The sections shown; the screen binds it (``data_bind``) and the pane refills on change.
    sections: reactive[Sections | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.targets: dict[str, Target] = {}

    def watch_sections(self, sections: Sections | None) -> None:
        if sections is not None:
            self.show(sections)

    def show(self, sections: Sections) -> None:
        """Fill the pane with titled sections of links or local rows."""
        before = self.highlighted
        self.clear_options()
        self.targets = {}
        options: list[Option | None] = []
        seen: set[str] = set()
        for title, all_entries in sections:
            # Each local article once, in the first section it belongs to.
            entries = [e for e in all_entries if _local_id(e) not in seen]
            seen |= {_local_id(e) for e in entries} - {""}
            if not entries:
                continue
            if options:
                options.append(None)
            options.append(
                Option(
                    Content.assemble((f"{title} ({len(entries)})", "bold $text-accent")),
                    disabled=True,
                )
            )
            for number, entry in enumerate(entries[:MAX_SHOWN]):
                if number:
                    options.append(None)
                key = f"e{len(self.targets)}"
                if isinstance(entry, Row):
                    self.targets[key] = Target(article_id=entry.id)
                    options.append(Option(self._row(entry), id=key))
                else:
                    target = (
                        Target(article_id=entry.local.id)
                        if entry.local
                        else Target(url=entry.link.url)
                    )
                    self.targets[key] = target
                    options.append(Option(self._link(entry), id=key))
        if not options:
            options.append(
                Option(Content.assemble(("No related links.", "$text-muted")), disabled=True)
            )
        self.add_options(options)
        if self.has_focus and before is not None:
            # Refilled under the user (a saved link now opens in the reader): Enter still works.
            self.highlighted = min(before, self.option_count - 1)

    def _row(self, row: Row) -> Content:
        meta = " · ".join(x for x in (row.provider, _date(row.published)) if x)
        return Content.assemble(
            ("● in library  ", "bold $success"), (row.title, "bold"), "\n", (meta, "$text-muted")
        )

    def _link(self, link: Link) -> Content:
        item = link.link
        marker = ("● in library  ", "bold $success") if link.local else ("↗ web  ", "$text-muted")
        meta = " · ".join(x for x in (item.provider or item.domain, _date(item.published)) if x)
        # Short: the pane is narrow, and every line of excerpt pushes the next link down.
        excerpt = item.excerpt if len(item.excerpt) <= 100 else item.excerpt[:99] + "…"
        parts: list[str | tuple[str, str] | Content] = [
            marker,
            (item.title, "bold"),
            "\n",
            (meta, "$text-muted"),
        ]
        if excerpt:
            parts += ["\n", (excerpt, "italic $text-muted")]
        return Content.assemble(*parts)

    def on_focus(self) -> None:
        # Enter works at once: without a highlight, OptionList ignores the first Enter.
        if self.highlighted is None:
            self.action_first()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        target = self.targets.get(event.option.id or "")
        if target is not None:
            self.post_message(self.Chosen(target))
