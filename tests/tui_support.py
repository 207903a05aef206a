"""Helpers for the Pilot tests of the TUI: build the app on a copy of a folder, settle, read the screen.

Every test gets its own folder and data dir under ``tmp_path``, so the tests run in parallel
(pytest-xdist) without sharing anything.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.content import Content
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerCancelled, WorkerState

from conftest import SEEDS
from newsreader.library.library import Library, View
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.main import MainScreen

SIZE = (120, 40)


def copy_seeds(tmp_path: Path) -> Path:
    """A private copy of ``seeds/``."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


def seed_ids(lib: Library) -> dict[str, str]:
    """Article id by file name prefix (``"000"`` … ``"004"``) in a synced library."""
    out = {}
    for row in lib.rows(lib.rowids(View())):
        article = lib.article(row.id)
        assert article is not None
        out[Path(article.path).name[:3]] = row.id
    return out


class BrowserScript:
    """A real browser command for the app's ``browser`` setting: a shell script that appends
    the URL it is given to a log and exits with ``status``. ``missing=True`` names a program
    that does not exist, so running it fails."""

    def __init__(self, folder: Path, status: int = 0, missing: bool = False) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "browser.log"
        script = folder / ("no-such-browser" if missing else "browser.sh")
        if not missing:
            script.write_text(
                f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> {shlex.quote(str(self.log))}\nexit {status}\n"
            )
            script.chmod(0o755)
        self.command = f"{shlex.quote(str(script))} %s"

    @property
    def calls(self) -> list[str]:
        """Every URL the browser was given, in order."""
        return self.log.read_text().splitlines() if self.log.exists() else []


class Harness:
    """The app under test, with a recording browser command, and recorders for the clipboard
    and notifications."""

    def __init__(self, folder: Path, data: Path, *, browser: bool | None = True) -> None:
        """``browser``: True, a browser that works; False, one that fails; None, one that
        cannot be run at all."""
        self.folder = folder
        self.data = data
        self.lib = Library.open(folder, data)
        self.app = NewsReaderApp(self.lib)
        self.browser = BrowserScript(
            data.parent / "browser", status=0 if browser else 1, missing=browser is None
        )
        self.app.config.browser = self.browser.command
        self.copied: list[str] = []
        self.app.copy_to_clipboard = self.copied.append  # type: ignore[method-assign]
        self.notes: list[str] = []
        original = self.app.notify

        def notify(message: str, *args: Any, **kwargs: Any) -> None:
            self.notes.append(str(message))
            original(message, *args, **kwargs)

        self.app.notify = notify  # type: ignore[method-assign]

    @property
    def main(self) -> MainScreen:
        """The app's main screen, which holds the state."""
        return self.app.main

    # -- library lookups -------------------------------------------------------------------------

    def ids_by_seed(self) -> dict[str, str]:
        """Article id by file name prefix (``"000"`` … ``"004"``)."""
        return seed_ids(self.lib)

    def list_ids(self) -> list[str]:
        """Article ids in the order the list shows them."""
        return [r.id for r in self.lib.rows(self.app.articles.rowids)]

    def current_id(self) -> str | None:
        row = self.app.articles.current
        return row.id if row else None


async def settle(pilot: Pilot[Any], rounds: int = 20) -> None:
    """Wait until no worker is pending or running (workers start more workers), never sleeping."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        busy = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not busy:
            await pilot.pause()
            busy = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
            if not busy:
                return
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # an exclusive worker replaced by a newer one: the next round looks again
    raise AssertionError("workers did not settle")


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], rounds: int = 100) -> bool:
    """Let the app process messages and redraw until ``predicate()`` holds (a pushed screen
    mounts and lays out a few message loops after the worker that pushed it ended)."""
    for _ in range(rounds):
        if predicate():
            return True
        await pilot.pause()
        pilot.app.screen._refresh_layout()
    return predicate()


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys, then settle."""
    await pilot.press(*keys)
    await settle(pilot)


def run(
    harness: Harness,
    body: Callable[[Pilot[Any]], Awaitable[None]],
    size: tuple[int, int] = SIZE,
    notifications: bool = False,
    seen: list[Message] | None = None,
) -> None:
    """Run the app headless, let the first sync finish, run ``body``; close the library.

    ``notifications=True`` draws toasts (Textual's test mode hides them by default); the
    ``Harness`` records every message either way. ``seen`` gets every message the app handles.
    """
    hook = seen.append if seen is not None else None

    async def main() -> None:
        async with harness.app.run_test(
            size=size, notifications=notifications, message_hook=hook
        ) as pilot:
            await settle(pilot)
            await body(pilot)

    try:
        asyncio.run(main())
    finally:
        harness.lib.close()


def plain(widget: Static) -> str:
    """The plain text of a Static."""
    content = widget.visual
    if isinstance(content, Content):
        return content.plain
    return str(getattr(content, "plain", content))


def screen_lines(app: NewsReaderApp) -> list[str]:
    """The text of every line of the current screen, as the terminal would show it."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def region_text(app: NewsReaderApp, widget: Any) -> str:
    """What a widget shows, its wrapped lines joined (no borders, no line breaks)."""
    region = widget.content_region
    lines = screen_lines(app)[region.y : region.bottom]
    return "".join(line[region.x : region.right].strip() for line in lines)


def screen_text(app: NewsReaderApp) -> str:
    return "\n".join(screen_lines(app))


def write_article(
    folder: Path,
    name: str,
    *,
    title: str,
    url: str = "",
    body: str = "",
    extra: str = "",
    date: str = "2022-01-01T10:00:00Z",
) -> Path:
    """Write a front-matter article file (title and url are YAML double-quoted strings)."""
    lines = ["---", f"title: {title}", f"publishedDateTime: {date}"]
    if url:
        lines.append(f"originalUrl: {url}")
    if extra:
        lines.append(extra.rstrip("\n"))
    lines += ["---", body, ""]
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def yaml_str(text: str) -> str:
    """A YAML double-quoted scalar for any text (control characters escaped)."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
