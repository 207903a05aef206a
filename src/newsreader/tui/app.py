"""The newsreader app: the config (theme, keys, problems), the main screen, and the bootstrap.

Everything the reader shows and does is the main screen's (``screens/main.py``); the app only
sets the stage for it.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from newsreader import config as config_module
from newsreader import paths
from newsreader.config import Config
from newsreader.library.library import Library
from newsreader.model import View
from newsreader.tui import settings
from newsreader.tui.palette import ArticleCommands
from newsreader.tui.screens.main import MainScreen
from newsreader.tui.widgets.article_list import ArticleList

#: Seconds a thread waiting for the GIL gives the one holding it (Python's default is 0.005).
SWITCH_INTERVAL = 0.001
#: Textual's own palette commands that ours already cover (q, ?, z); its theme switcher stays.
SYSTEM_DUPLICATES = {"Quit", "Keys", "Maximize", "Minimize"}
#: Config problems listed in the startup notice.
CONFIG_LINES = 6
#: The file in the data dir that keeps the traceback of the last crash.
CRASH_LOG = "crash.log"


class NewsReaderApp(App[None]):
    """A three-pane reader for one folder."""

    CSS_PATH = "newsreader.tcss"
    TITLE = "newsreader"
    COMMANDS = App.COMMANDS | {lambda: ArticleCommands}

    def __init__(
        self, library: Library, *, sync_on_start: bool = True, config: Config | None = None
    ) -> None:
        no_color = os.environ.get("NO_COLOR")
        super().__init__()
        if no_color is not None:
            # Textual reads NO_COLOR and then removes it; the browser, pipe and pager commands
            # this app starts should see it too.
            os.environ["NO_COLOR"] = no_color
        self.config = config or Config()
        self.library = library
        self.sync_on_start = sync_on_start
        self._switch_interval = sys.getswitchinterval()
        start_process_helpers()

    #: The traceback of the exception that ended the app ("" while none did): ``run`` writes
    #: it to the crash log instead of the screen.
    crash = ""

    def _handle_exception(self, error: Exception) -> None:
        if not self.crash:
            self.crash = "".join(traceback.format_exception(error))
        super()._handle_exception(error)

    def _print_error_renderables(self) -> None:
        if self.crash:
            self._exit_renderables.clear()  # in the crash log, not over the user's shell
            return
        super()._print_error_renderables()

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.library, self.config, sync_on_start=self.sync_on_start)

    @property
    def main(self) -> MainScreen:
        """The main screen (the bottom of the stack, whatever modal is above it)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    @property
    def articles(self) -> ArticleList:
        """The main screen's article list."""
        return self.main.articles

    @property
    def view(self) -> View:
        """The view the list shows."""
        return self.main.view

    def on_mount(self) -> None:
        # A worker's query gives up the GIL at every SQLite call and waits the switch interval
        # to get it back while the UI thread is busy: 5 ms by default, several times per query.
        # At startup that, not the queries, was most of the first paint (measured: 1.6x the
        # seeds' first paint at 100,000 articles, against 1.0x at 1 ms).
        sys.setswitchinterval(SWITCH_INTERVAL)
        cfg = self.config
        problems = cfg.problems + settings.apply(self, cfg)
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
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        self.library.stop_sync()  # quitting mid-sync: end its workers, or exit waits for them

    def _theme_changed(self, theme: object) -> None:
        """A theme picked in the palette is saved to the config file."""
        name = getattr(theme, "name", "")
        if name and name != self.config.theme and self.config.path is not None:
            self.config.theme = name
            try:
                config_module.save_setting(self.config.path, "theme", name)
            except OSError as error:
                self.notify(f"Could not save the theme: {error}", severity="warning", markup=False)

    def open_url(self, url: str, new_tab: bool = True) -> None:  # noqa: ARG002 - Textual's signature
        """Every URL Textual opens goes through the main screen's check and browser."""
        self.main.open_url(url)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands, less the ones ours duplicate."""
        for command in super().get_system_commands(screen):
            if command.title not in SYSTEM_DUPLICATES:
                yield command


def start_process_helpers() -> None:
    """Start multiprocessing's resource tracker before Textual takes stderr.

    It is otherwise started lazily by the first sync's process pool, from a worker thread, and
    is handed ``sys.stderr.fileno()``: under Textual that is its capture object (-1), and the
    pool fails with "bad value(s) in fds_to_keep". The forkserver needs no stderr: the first
    pool starts it, with what that pool preloads. Started here, its import of the parsing
    modules raced the first paint for the CPU, and importing them here to choose it cost the
    first paint 0.1 s of CPU (issue 20).
    """
    from multiprocessing import resource_tracker

    try:
        resource_tracker.ensure_running()
    except (OSError, ValueError):
        pass  # the sync then falls back to parsing in this process


def run(folder: str, data_dir: str | None = None) -> int:
    """Open the library for ``folder`` and run the app."""
    cfg = config_module.load()
    data = paths.data_dir(data_dir, cfg.data_dir)
    library = Library.open(Path(folder), data, follow_symlinks_outside=cfg.follow_symlinks_outside)
    app = NewsReaderApp(library, config=cfg)
    try:
        app.run()
    except Exception:  # noqa: BLE001 - outside the app's own handler (the driver, say)
        app.crash = app.crash or traceback.format_exc()
    finally:
        library.close()
    if app.crash:
        return report_crash(app.crash, data)
    return app.return_code or 0


def report_crash(text: str, folder: Path) -> int:
    """After a crash (the terminal is restored by then): the traceback goes to the crash log
    in ``folder``, one line on stderr says where; the exit status (1)."""
    last = text.strip().splitlines()[-1] if text.strip() else "an unexpected error"
    log = folder / CRASH_LOG
    try:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S %z")
        log.write_text(f"newsreader crashed at {stamp}\n\n{text}", encoding="utf-8")
    except OSError:
        print(text, file=sys.stderr, end="")  # nowhere to keep it: the user still needs it
        print(f"newsreader: crashed ({last})", file=sys.stderr)
        return 1
    print(f"newsreader: crashed ({last}); the details are in {log}", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    run(os.getcwd())
