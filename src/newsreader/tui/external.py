"""Programs outside the app: the browser for ``o`` and links, the ``|`` pipe command, the
pager for ``v``.

No Textual here: these run in the screen's worker threads and are tested on their own. Every
command runs without a shell, the URL or the text as one argument or as stdin, never spliced
into a command line.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import webbrowser
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath

from newsreader.ingest.sanitize import clean_text
from newsreader.ingest.urls import safe_url
from newsreader.model import Article

#: Seconds a browser command may take to hand the URL over.
BROWSER_TIMEOUT = 30
#: Lines of a pipe command's output shown in the notice, and its time limit in seconds.
PIPE_LINES = 8
PIPE_TIMEOUT = 30


def browser_argv(command: str, url: str) -> list[str]:
    """The browser setting as an argv: ``%s`` replaced by the URL, else the URL appended."""
    argv = shlex.split(command)
    return [a.replace("%s", url) for a in argv] if "%s" in command else [*argv, url]


#: Browsers that draw in the terminal: they need it to themselves (``App.suspend``). The first
#: five are the ones Python's ``webbrowser`` falls back to with no display, in its order.
TEXT_BROWSERS = ("www-browser", "links", "elinks", "lynx", "w3m", "browsh", "carbonyl")


def terminal_browser(command: str, environ: Mapping[str, str] = os.environ) -> str:
    """The command ``o`` would run when it is a text-mode browser, else "" (a graphical or
    unknown browser, started without blocking the app).

    The ``browser`` setting first, else ``$BROWSER``'s first entry; with neither and no
    display (no ``DISPLAY``/``WAYLAND_DISPLAY``, not macOS), the terminal browser that
    ``webbrowser`` would fall back to, if one is installed.
    """
    if command:
        return command if _is_text_browser(command) else ""
    browser = environ.get("BROWSER", "").split(os.pathsep)[0].strip()
    if browser:
        return browser if _is_text_browser(browser) else ""
    if sys.platform == "darwin" or environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return ""
    return next((name for name in TEXT_BROWSERS[:5] if shutil.which(name)), "")


def _is_text_browser(command: str) -> bool:
    try:
        argv = shlex.split(command)
    except ValueError:
        return False
    return bool(argv) and PurePath(argv[0]).name in TEXT_BROWSERS


def open_in_browser(url: str, command: str = "") -> bool:
    """Open an http(s) URL: the ``browser`` setting's command, else ``$BROWSER`` or the system
    default (both through ``webbrowser``). True when the browser took it.

    The URL is checked and re-serialised here, whatever the caller did: what a browser is
    given is always ``safe_url``'s form of it, and anything else is refused (False).
    Errors from the command (it does not exist, it hangs) propagate: the caller reports them.
    """
    safe = safe_url(url)
    if safe is None:
        return False
    if not command:
        return webbrowser.open(safe, new=2)
    done = subprocess.run(
        browser_argv(command, safe),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=BROWSER_TIMEOUT,
        check=False,
    )
    return done.returncode == 0


def article_text(article: Article) -> str:
    """What the pipe command reads: the title, a blank line, the plain body (or the excerpt)."""
    from newsreader.ingest.clean import to_text  # only when piping: it pulls in the HTML parser

    return f"{article.title}\n\n{to_text(article.body) or article.excerpt}\n"


@dataclass(frozen=True)
class PipeResult:
    """What a pipe command did: the lines to show, and whether it failed."""

    text: str
    failed: bool
    #: The notice's title: the command, when it ran at all.
    title: str = ""


def run_pipe(command: str, text: str) -> PipeResult:
    """Run ``command`` (no shell) with ``text`` on stdin and keep what it printed.

    Its output is captured: under Textual, anything written to the terminal would be lost
    behind the screen and show up after quitting. It is as untrusted as the article, so no
    escape sequence of it is kept.
    """
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
        return PipeResult(f"Could not run {command!r}: {error}", failed=True)
    output = clean_text((done.stdout + done.stderr).decode(errors="replace"))
    lines = output.strip().splitlines()
    shown = lines[:PIPE_LINES] or ["(no output)"]
    if len(lines) > PIPE_LINES:
        shown.append(f"… {len(lines) - PIPE_LINES} more lines")
    if done.returncode:
        shown.append(f"(exit status {done.returncode})")
    return PipeResult("\n".join(shown), failed=bool(done.returncode), title=command)


#: The pager when ``$PAGER`` is unset or empty.
DEFAULT_PAGER = "less"


def pager_argv(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """``$PAGER`` (default ``less``) as an argv; ``less`` when it cannot be split."""
    try:
        argv = shlex.split(environ.get("PAGER", "").strip())
    except ValueError:
        argv = []
    return argv or [DEFAULT_PAGER]


def run_in_terminal(argv: list[str], text: str | None = None) -> str:
    """Run a program that needs the terminal (the caller has handed it over), ``text`` on its
    stdin (None: stdin is the terminal too), and wait for it. What went wrong, for a notice
    ("" when it ran)."""
    try:
        data = None if text is None else text.encode()
        done = subprocess.run(argv, input=data, check=False)
    except (OSError, ValueError) as error:
        return f"Could not run {shlex.join(argv)}: {error}"
    return f"{shlex.join(argv)} exited with status {done.returncode}" if done.returncode else ""
