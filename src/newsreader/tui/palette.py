"""The command palette's provider: every command of the table that can run now, plus jumping to
an article, a topic or a source by name."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content
from textual.markup import escape

from newsreader.model import Counts, Row, View
from newsreader.tui.commands import COMMANDS, Command
from newsreader.tui.messages import ViewRequest
from newsreader.tui.widgets.related import Target

if TYPE_CHECKING:
    from newsreader.tui.screens.main import MainScreen

#: Places (topics, sources) read per palette opening: the rest are reached from the tree.
MAX_PLACES = 500


class ArticleCommands(Provider):
    """Palette: every command, plus jumping to an article, topic or source by name."""

    _places: list[tuple[str, Counts, View]] = []  # noqa: RUF012 - replaced per instance in startup()

    @property
    def main(self) -> MainScreen:
        """The main screen, which runs the commands (the palette is a screen above it)."""
        from newsreader.tui.screens.main import MainScreen

        screen = self.app.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def _commands(self) -> list[Command]:
        main = self.main
        return [c for c in COMMANDS if c.palette and main.offered(c)]

    async def startup(self) -> None:
        """Read topics and sources once per palette opening, in a thread (slow at 100,000)."""
        lib = self.main.library
        topics, sources = await asyncio.to_thread(
            lambda: (lib.topics()[:MAX_PLACES], lib.sources()[:MAX_PLACES])
        )
        self._places = [("Topic", c, View(topic=c.name)) for c in topics]
        self._places += [("Source", c, View(source=c.name)) for c in sources]

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(
                Content(command.label),
                self._runner(command.action),
                text=command.label,
                help=escape(command.help),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.label)
            if score > 0:
                yield Hit(
                    score,
                    highlight(matcher, command.label),
                    self._runner(command.action),
                    text=command.label,
                    help=escape(command.help),
                )
        for kind, counts, view in self._places:
            score = matcher.match(counts.name)
            if score > 0:
                label = f"{kind}: {counts.name}"
                yield Hit(
                    score * 0.9,
                    highlight(matcher, label, len(kind) + 2),
                    self._view(view, label),
                    text=label,
                    help=f"{counts.unread} unread of {counts.total}",
                )
        if len(query) >= 2:
            # Off the event loop: a LIKE scan of 100,000 titles takes tens of milliseconds.
            rows = await asyncio.to_thread(self.main.library.page, View(quick=query), 0, 20)
            for row in rows:
                yield Hit(
                    0.5 + matcher.match(row.title) / 2,
                    highlight(matcher, row.title),
                    self._article(row),
                    text=row.title,
                    # The palette parses help as markup; a provider name is file text.
                    help=escape(row.provider),
                )

    def _runner(self, action: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await self.main.run_action(action)

        return run

    def _view(self, view: View, name: str) -> Callable[[], None]:
        return lambda: self.main.load_view(ViewRequest(view, name, focus_list=True))

    def _article(self, row: Row) -> Callable[[], None]:
        return lambda: self.main.follow(Target(article_id=row.id))


def highlight(matcher: Matcher, text: str, skip: int = 0) -> Content:
    """Fuzzy-match highlight without ever reading ``text`` as markup (Textual's own
    ``Matcher.highlight`` does); ``skip`` characters at the start are not matched."""
    content = Content(text)
    _, offsets = matcher.fuzzy_search.match(matcher.query, text[skip:])
    for offset in offsets:
        content = content.stylize(matcher.match_style, offset + skip, offset + skip + 1)
    return content
