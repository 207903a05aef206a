"""The reader: a header (title, source · date · reading time, topics, URL) and the cleaned body.

Untrusted text is only ever placed in ``Content`` objects, never formatted into markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from newsreader.ingest.sanitize import display_path
from newsreader.model import Article
from newsreader.tui.commands import READER_COMMANDS, move_bindings
from newsreader.tui.screens.modals import TextPrompt

if TYPE_CHECKING:
    from textual.widgets import Markdown

_LINK = re.compile(r"(?<!!)\[([^\]\n]{1,300})\]\((https?://[^)\s]+)\)")
#: A body this long is cut for display; the full text stays in the library and in exports.
#: Characters of a body the reader draws. Textual's Markdown widget parses and lays out on the
#: UI thread: measured here, 40,000 characters take ~0.2 s, 80,000 ~0.7 s and 150,000 several
#: seconds, all keys waiting. 50,000 is a long read of some 8,000 words; past it, a line says
#: how much more there is and how to get it whole.
MAX_DISPLAY = 50_000
#: Lines of a body the reader draws. The Markdown widget's cost grows with its blocks, faster
#: than linearly for lists and tables: measured here, 300 list items took 4.4 s and 600 took 17 s
#: (the 2,000-item list of 47 KB froze the reader for 16.8 s). 250 lines is some 15 screens.
MAX_DISPLAY_LINES = 250
#: Numbered links listed under the body (``f`` still follows any of them by number).
MAX_LISTED_LINKS = 300
WORDS_PER_MINUTE = 230


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when it was cut (the full URL is
    what ``f`` opens; this is only its label)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def displayed_part(text: str) -> tuple[str, int]:
    """The part of a body the reader draws, and how many characters are left out: at most
    MAX_DISPLAY characters and MAX_DISPLAY_LINES non-blank lines (list items, table rows and
    paragraphs alike), cut at a paragraph's end where one is near."""
    cut = len(text)
    if cut > MAX_DISPLAY:
        cut = text.rfind("\n\n", 0, MAX_DISPLAY)
        cut = cut if cut > MAX_DISPLAY // 2 else MAX_DISPLAY
    lines = 0
    for match in _LINE_END.finditer(text, 0, cut):
        lines += 1
        if lines >= MAX_DISPLAY_LINES:
            cut = match.end()
            break
    if cut == len(text):
        return text, 0
    kept = text[:cut].rstrip()
    return kept, len(text) - len(kept)


#: The end of a non-blank line.
_LINE_END = re.compile(r"\S[^\n]*(?=\n|\Z)")


def numbered_links(article: Article) -> list[tuple[str, str]]:
    """(label, url) for every link of the body, then every image, numbered from 1 in this order."""
    links = [(text.strip() or url, url) for text, url in _LINK.findall(article.body)]
    links += [(f"image {i}", image.url) for i, image in enumerate(article.images, 1)]
    return links


def link_markers(markdown: str) -> str:
    """Markdown with `` [n]`` after each link, numbered as ``numbered_links`` numbers them (the
    same pattern over the same body, in order), so ``f`` and a number follow the link seen."""
    count = 0

    def mark(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"{match.group(0)} \\[{count}\\]"

    return _LINK.sub(mark, markdown)


def highlight_terms(markdown: str, terms: list[str]) -> str:
    """Emphasise search terms in Markdown prose (not inside link targets)."""
    pattern = _terms_pattern(terms)
    if pattern is None:
        return markdown
    parts = re.split(r"(\]\([^)]*\))", markdown)
    return "".join(p if p.startswith("](") else pattern.sub(r"**\1**", p) for p in parts)


def _terms_pattern(terms: list[str]) -> re.Pattern[str] | None:
    words = sorted({t for t in terms if len(t) > 1}, key=len, reverse=True)[:20]
    if not words:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


def _mark(content: Content, terms: list[str]) -> Content:
    """Highlight search terms in plain Content (spans by offset: the text is never parsed)."""
    pattern = _terms_pattern(terms)
    if pattern is None:
        return content
    for match in pattern.finditer(content.plain):
        content = content.stylize("reverse $accent", match.start(), match.end())
    return content


@dataclass(frozen=True)
class Reading:
    """What the reader shows: the article, the search terms to highlight, inferred topics."""

    article: Article
    terms: list[str]
    inferred: list[str]


class ReaderView(VerticalScroll, can_focus=True):
    """The article being read."""

    #: The moves every pane shares scroll the reader by a line, a page, half a page, or to
    #: either end (as less and mutt do); instant, so a held key never queues animations.
    BINDINGS = [c.binding() for c in READER_COMMANDS] + move_bindings(
        {
            "list_down": "scroll_lines(1)",
            "list_up": "scroll_lines(-1)",
            "list_first": "scroll_edge(0)",
            "list_last": "scroll_edge(1)",
            "list_page_down": "scroll_pages(1)",
            "list_page_up": "scroll_pages(-1)",
            "list_half_down": "scroll_pages(0.5)",
            "list_half_up": "scroll_pages(-0.5)",
        }
    )

    DEFAULT_CSS = """
    ReaderView { padding: 0 2; }
    ReaderView #header { margin-bottom: 1; }
    ReaderView Markdown { margin: 0; padding: 0; }
    ReaderView #links { color: $text-muted; margin-top: 1; }
    ReaderView .-find-current { background: $accent 30%; }
    """

    @dataclass
    class LinkFollowed(Message):
        """A link in the body was clicked."""

        url: str

    #: The article shown; the screen binds it (``data_bind``) and the reader redraws on change.
    reading: reactive[Reading | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.article: Article | None = None
        self.links: list[tuple[str, str]] = []
        #: The find's hits, in reading order: the block (the header, or a paragraph of the
        #: body), its text unmarked, where the hit is.
        self.hits: list[tuple[Static, Content, int, int]] = []
        self.hit = -1

    def compose(self) -> ComposeResult:
        yield Static(Content("Select an article to read it."), id="header")
        yield Static("", id="links")  # the body goes above it, with the first (_show_body)

    def watch_reading(self, reading: Reading | None) -> None:
        if reading is not None:
            self.show(reading.article, terms=reading.terms, inferred=reading.inferred)
            # Names come from files: literal Content, never markup.
            self.border_title = Content(reading.article.provider or "Reader")

    def show(
        self,
        article: Article | None,
        *,
        terms: list[str] | None = None,
        inferred: list[str] | None = None,
    ) -> None:
        """Display an article (or nothing)."""
        self.article = article
        self.hits, self.hit = [], -1
        header = self.query_one("#header", Static)
        links = self.query_one("#links", Static)
        self.scroll_home(animate=False)
        if article is None:
            header.update(Content("Nothing to read here."))
            self._show_body("")
            links.update("")
            self.links = []
            return
        header.update(_mark(self._header(article, inferred or []), terms or []))
        self.links = numbered_links(article)
        if article.body.strip():
            text, more = displayed_part(link_markers(article.body))
            if terms:
                text = highlight_terms(text, terms)
            if more:
                text += (
                    f"\n\n---\n\n*The article goes on for {more:,} more characters, not drawn"
                    " here to keep the reader quick: press e to export it whole, or o to open"
                    " the original.*"
                )
            self._show_body(text)
        else:
            # Front matter only: show the excerpt and say plainly where the full text is.
            self._show_body("")
        links.update(self._links_block(article))

    def _show_body(self, text: str) -> None:
        """Show ``text`` (Markdown) as the body. Its widget is mounted with the first body:
        the Markdown parser's import (about 50 ms of CPU) is then no part of the first paint."""
        from textual.widgets import Markdown

        found = self.query("#body")
        if found:
            body = found.first(Markdown)
            body.display = bool(text)  # an empty one would still take a line
            body.update(text)
        elif text:
            body = Markdown(text, open_links=False, id="body")
            body.styles.max_width = self.query_one("#header").styles.max_width
            self.mount(body, before=self.query_one("#links"))

    def _header(self, article: Article, inferred: list[str]) -> Content:
        minutes = max(1, round(len(article.body.split()) / WORDS_PER_MINUTE)) if article.body else 0
        meta = [article.provider or article.domain]
        if article.published:
            meta.append(article.published.strftime("%a %d %b %Y, %H:%M UTC"))
        if minutes:
            meta.append(f"{minutes} min read")
        parts: list[Content | tuple[str, str] | str] = [
            (article.title, "bold $text-primary"),
            "\n",
            (" · ".join(m for m in meta if m), "$text-muted"),
        ]
        if article.topics:
            parts += ["\n", ("Topics: " + ", ".join(article.topics), "$text-secondary")]
        elif inferred:
            parts += [
                "\n",
                ("Suggested topics (inferred): " + ", ".join(inferred), "italic $text-muted"),
            ]
        url = article.url or article.web_url
        if url:
            parts += ["\n", (url, "underline $text-muted")]
        if len(article.paths) > 1:
            parts += [
                "\n",
                (
                    f"{len(article.paths)} copies: "
                    + ", ".join(display_path(p) for p in article.paths[:3]),
                    "$text-muted",
                ),
            ]
        if not article.body.strip():
            if article.excerpt:
                parts += ["\n\n", (article.excerpt, "italic")]
            parts += [
                "\n\n",
                (
                    "The full text is not in this file. Press o to open the original.",
                    "bold $warning",
                ),
            ]
        return Content.assemble(*parts)

    def _links_block(self, article: Article) -> Content:
        if not self.links:
            return Content("")
        lines: list[Content | tuple[str, str] | str] = [
            ("Links (press f, then the number)", "bold")
        ]
        for number, (label, url) in enumerate(self.links[:MAX_LISTED_LINKS], 1):
            lines += [
                "\n",
                (f"[{number}] ", "bold $accent"),
                clip(label, 80),
                (f"  {clip(url, 100)}", "$text-muted"),
            ]
        if len(self.links) > MAX_LISTED_LINKS:
            rest = len(self.links) - MAX_LISTED_LINKS
            lines += ["\n", (f"… and {rest:,} more, numbered on from here", "$text-muted")]
        return Content.assemble(*lines)

    # -- find in the article ------------------------------------------------------------------

    def action_find(self) -> None:
        if self.article is not None:
            self.app.push_screen(TextPrompt("Find in the article"), self._found)

    def _found(self, term: str | None) -> None:
        self.find(term)

    def find(self, term: str | None) -> int:
        """Highlight every hit of ``term`` (any case) in the header, the body and the links, and
        go to the first; return how many there are."""
        self._unmark()
        self.hits, self.hit = [], -1
        if not term:
            return 0
        from textual.widgets.markdown import MarkdownBlock

        pattern = re.compile(re.escape(term), re.I)
        body = [block for found in self.query("#body") for block in found.query(MarkdownBlock)]
        for block in [self.query_one("#header", Static), *body, self.query_one("#links", Static)]:
            content = block.content
            if not isinstance(content, Content) or block.query(MarkdownBlock):
                continue  # a container: its own blocks hold the text
            marked = content
            for match in pattern.finditer(content.plain):
                self.hits.append((block, content, match.start(), match.end()))
                marked = marked.stylize("reverse", match.start(), match.end())
            if marked is not content:
                _set_content(block, marked)
        if not self.hits:
            self.notify(f"Not in this article: {term}", severity="warning", markup=False)
            return 0
        self.action_find_next(1)
        return len(self.hits)

    def action_find_next(self, step: int) -> None:
        if not self.hits:
            raise SkipAction()  # no find: n/N go on to next/previous unread
        self.hit = (self.hit + step) % len(self.hits)
        for block in self.query(".-find-current"):
            block.remove_class("-find-current")
        block = self.hits[self.hit][0]
        block.add_class("-find-current")
        self.scroll_to_center(block, animate=False)

    def _unmark(self) -> None:
        for block, content, _, _ in self.hits:
            if block.is_attached:
                _set_content(block, content)
                block.remove_class("-find-current")

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        event.prevent_default()
        self.post_message(self.LinkFollowed(event.href))

    def action_scroll_lines(self, lines: int) -> None:
        self.scroll_to(y=self.scroll_y + lines, animate=False)

    def action_scroll_pages(self, pages: float) -> None:
        step = max(1, int(self.scrollable_content_region.height * abs(pages)))
        self.scroll_to(y=self.scroll_y + (step if pages > 0 else -step), animate=False)

    def action_scroll_edge(self, end: int) -> None:
        self.scroll_to(y=self.max_scroll_y if end else 0, animate=False)

    @property
    def at_end(self) -> bool:
        """True when the reader is scrolled to the bottom."""
        return self.scroll_y >= self.max_scroll_y


def _set_content(block: Static, content: Content) -> None:
    """Show ``content`` in the header or a block of the body (which keeps its own copy)."""
    from textual.widgets.markdown import MarkdownBlock

    if isinstance(block, MarkdownBlock):
        block.set_content(content)
    else:
        block.update(content)
