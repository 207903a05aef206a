"""A real terminal for the tests: the installed ``newsreader`` in a pseudo-terminal, read back
through a terminal emulator.

``Terminal`` spawns the console script with pexpect, feeds every byte it writes into a
``pyte.Screen`` of the same size, and waits on what that screen shows. Unlike the Pilot tests,
nothing here runs inside the app: keys arrive as raw bytes on the tty, all at once when the test
writes them at once, and the app parses, draws, crashes and exits exactly as it does for a
person. Every wait is bounded, and a failed wait puts the screen in the assertion message.

``boxes`` reads the panes off the screen by their rounded borders, so a test can say "the
reader shows this title" or "the layout is the one a fresh start at this size draws" without
knowing the widgets.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pexpect
import pyte

#: The console script under test: the one installed beside this interpreter.
NEWSREADER = Path(sys.executable).with_name("newsreader")
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
#: Seconds a wait gives the app by default (``NEWSREADER_TERMINAL_TIMEOUT`` overrides it). CI
#: runs the suite on 2 cores with ``-n 2``; the app draws its first screen in 2-4 s there, so
#: this is slack for a loaded machine, not a sleep: a wait returns as soon as the screen shows.
TIMEOUT = float(os.environ.get("NEWSREADER_TERMINAL_TIMEOUT", "20"))
#: Seconds between two polls of the pty.
POLL = 0.02
#: Entering and leaving the alternate screen (leaving it is how the terminal gets restored;
#: pyte does not emulate the alternate screen, so the output is checked for it).
ENTER_ALT_SCREEN = b"\x1b[?1049h"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
_ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
#: The last line of a Python traceback: the exception's name at the start of a line.
_EXCEPTION_LINE = re.compile(r"(?m)^[A-Za-z_.]*(Error|Exception|Interrupt): ")

#: The blocks a scrollbar is drawn with, read as spaces.
_SCROLLBAR = str.maketrans(dict.fromkeys("▁▂▃▄▅▆▇█▔▏▎▍▌▋▊▉▐▕", " "))

ENTER = "\r"
ESCAPE = "\x1b"


class TerminalError(AssertionError):
    """A wait ran out, or the app did not end as expected; the message holds the screen."""


def app_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the app runs in: a private home, config and data dir under ``home``, an
    xterm, UTF-8, and no browser, pager or editor of the machine's (a test that wants one sets
    it: a text-mode browser found on the PATH would take the terminal)."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "NEWSREADER_DATA_DIR": str(home / "data"),
        "NEWSREADER_CONFIG": str(home / "config.toml"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "BROWSER": "false",
        "PAGER": "false",
        "EDITOR": "false",
    }
    if "PYTHONPATH" in os.environ:
        # The app imports what the tests import (e.g. a checkout under test put on the path).
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    environment.update(extra or {})
    return environment


def cli_json(home: Path, *args: str) -> list[dict[str, object]]:
    """Run a ``newsreader`` subcommand with ``--json`` in the app's environment (the data dir
    under ``home``); the JSON Lines it printed."""
    (home / "data").mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(NEWSREADER), *args, "--json"],
        env=app_env(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 3,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


class Terminal:
    """The app in a pseudo-terminal of ``rows`` x ``cols``, its screen emulated by pyte."""

    def __init__(
        self,
        args: list[str],
        home: Path,
        *,
        rows: int = 40,
        cols: int = 120,
        env: dict[str, str] | None = None,
    ) -> None:
        self.home = home
        self.data_dir = home / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        #: Every byte the app wrote, for what the screen cannot answer (the alternate screen,
        #: a traceback that scrolled off).
        self.output = bytearray()
        self.child = pexpect.spawn(
            str(NEWSREADER),
            args,
            env=app_env(home, env),
            cwd=str(home),
            dimensions=(rows, cols),
            echo=False,
        )

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int:
        """The app's process id."""
        return int(self.child.pid)

    # -- reading ----------------------------------------------------------------------------------

    def pump(self, wait: float = 0.0) -> bool:
        """Feed what the app wrote to the emulator, waiting up to ``wait`` seconds for the first
        byte. False once the app has closed the terminal."""
        start = time.monotonic()
        timeout = wait
        while True:
            try:
                chunk = self.child.read_nonblocking(65536, timeout=timeout)
            except pexpect.TIMEOUT:
                return True
            except pexpect.EOF:
                return False
            self.output += chunk
            self.stream.feed(chunk)
            timeout = 0
            if time.monotonic() - start > 1.0:
                return True  # a steady stream: let the caller look at the screen meanwhile

    def lines(self) -> list[str]:
        """The screen, one string per row."""
        return list(self.screen.display)

    def screen_text(self) -> str:
        """The screen as text, trailing spaces trimmed."""
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> float:
        """Pump the pty until ``check()`` holds; the seconds it took. Fails with the screen."""
        start = time.monotonic()
        while True:
            alive = self.pump(POLL)
            if check():
                return time.monotonic() - start
            if not alive:
                self.fail(f"the app ended while waiting for {what}")
            if time.monotonic() - start > timeout:
                self.fail(f"no {what} after {timeout:.0f} s")

    def wait_for(self, text: str, timeout: float = TIMEOUT) -> float:
        """Wait until ``text`` is on one of the screen's lines."""
        return self.wait_until(lambda: self.row_of(text) is not None, repr(text), timeout)

    def settle(self, quiet: float = 0.3, timeout: float = TIMEOUT) -> None:
        """Wait until the app has written nothing for ``quiet`` seconds: it has drawn what it
        had to draw. Bounded: an app that never stops drawing fails the test."""
        start = last = time.monotonic()
        while time.monotonic() - start < timeout:
            before = len(self.output)
            if not self.pump(POLL):
                return
            if len(self.output) != before:
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                return
        self.fail(f"the screen never settled in {timeout:.0f} s")

    def row_of(self, text: str) -> int | None:
        """The first screen row holding ``text``."""
        for y, line in enumerate(self.screen.display):
            if text in line:
                return y
        return None

    def panes(self) -> Panes:
        """The four panes on screen now (fails with the screen if they are not all there)."""
        found = panes(self.lines())
        if found is None:
            self.fail("the four panes are not on the screen")
        assert found is not None
        return found

    def pane_text(self, box: Box) -> str:
        """The text inside a pane (see ``box_text``)."""
        return box_text(self.lines(), box)

    def list_rows(self) -> list[str]:
        """The article list's rows as drawn (marker, title, source, date; the marker in the first
        column), empty rows left out."""
        found = panes(self.lines())
        if found is None:
            return []
        box = found.list
        inner = [
            line[box.x + 1 : box.right - 1] for line in self.lines()[box.y + 1 : box.bottom - 1]
        ]
        return [row.rstrip() for row in inner if row.strip()]

    def cursor_row(self) -> str | None:
        """The list row under the cursor: the one drawn on a background no other row has."""
        found = panes(self.lines())
        if found is None:
            return None
        box = found.list
        column = box.x + 3  # the title's first cell
        backgrounds = {
            y: self.screen.buffer[y][column].bg
            for y in range(box.y + 1, box.bottom - 1)
            if self.screen.display[y][box.x + 1 : box.right - 1].strip()
        }
        counts = Counter(backgrounds.values())
        odd = [y for y, bg in backgrounds.items() if counts[bg] == 1]
        if len(odd) != 1 or len(backgrounds) < 2:
            return None
        return self.screen.display[odd[0]][box.x + 1 : box.right - 1].rstrip()

    # -- writing ----------------------------------------------------------------------------------

    def send(self, keys: str | bytes) -> None:
        """Write ``keys`` to the terminal in one write, as a fast typist, a held key or a paste
        does: no pause between the characters."""
        data = keys.encode() if isinstance(keys, str) else keys
        os.write(self.child.child_fd, data)

    def resize(self, rows: int, cols: int) -> None:
        """Resize the terminal (the app gets SIGWINCH) and the emulator with it. The emulator's
        screen is cleared, so what shows next is what the app drew at the new size (pyte keeps
        the old rows on a resize)."""
        self.pump()
        self.child.setwinsize(rows, cols)
        self.screen.resize(rows, cols)
        self.screen.erase_in_display(2)

    # -- ending -----------------------------------------------------------------------------------

    def quit(self, key: str = "q", timeout: float = TIMEOUT) -> int:
        """Press ``key`` and wait for the app to end; its exit status."""
        self.send(key)
        return self.wait_exit(timeout)

    def wait_exit(self, timeout: float = TIMEOUT) -> int:
        """Wait for the app to end by itself; its exit status (minus the signal if killed)."""
        start = time.monotonic()
        while self.pump(POLL):
            if time.monotonic() - start > timeout:
                self.fail(f"the app did not exit within {timeout:.0f} s")
        while self.child.isalive():
            if time.monotonic() - start > timeout:
                self.fail(f"the app closed its terminal but did not exit within {timeout:.0f} s")
            time.sleep(POLL)
        self.child.close()
        if self.child.signalstatus is not None:
            return -int(self.child.signalstatus)
        return int(self.child.exitstatus or 0)

    def close(self) -> None:
        """Kill the app and its process group if it still runs (after a failed test)."""
        if self.child.isalive():
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
        self.child.close(force=True)

    def fail(self, message: str) -> None:
        """Fail the test with the screen in the message."""
        raise TerminalError(f"{message}\n{self.dump()}")

    def dump(self) -> str:
        """The screen in a frame and the output's last characters, for an assertion message."""
        rule = "+" + "-" * self.screen.columns + "+"
        body = "\n".join(f"|{line}|" for line in self.screen.display)
        tail = self.plain_output()[-800:]
        return f"screen {self.screen.columns}x{self.screen.lines}:\n{rule}\n{body}\n{rule}\n" + (
            f"last output, escapes removed:\n{tail}"
        )

    def plain_output(self) -> str:
        """Everything the app wrote, escape sequences removed."""
        return _ANSI.sub(b"", bytes(self.output)).decode(errors="replace")

    def traceback(self) -> str | None:
        """The traceback the app printed, if any (on screen or in the output): its last line."""
        for text in (self.plain_output(), self.screen_text()):
            match = _EXCEPTION_LINE.search(text)
            if "Traceback (most recent call last)" in text or match:
                return text[match.start() :].splitlines()[0] if match else "Traceback"
        return None

    @property
    def left_alt_screen(self) -> bool:
        """Whether the app left the alternate screen after entering it (terminal restored)."""
        entered = self.output.rfind(ENTER_ALT_SCREEN)
        return entered >= 0 and self.output.rfind(LEAVE_ALT_SCREEN) > entered


# -- panes ----------------------------------------------------------------------------------------


class Box(NamedTuple):
    """A rounded border on screen: its title and its outer edges (``right`` and ``bottom`` are
    one past the last column and row)."""

    title: str
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def geometry(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.width, self.height)


class Panes(NamedTuple):
    """The app's four panes, found by their places: the tree is titled Library, the list is
    under it, the related pane is titled Related, and the reader (titled with the article's
    source) is the one left."""

    tree: Box
    list: Box
    reader: Box
    related: Box

    def layout(self) -> dict[str, tuple[int, int, int, int]]:
        """Each pane's place and size."""
        return {name: box.geometry for name, box in self._asdict().items()}


def boxes(lines: list[str]) -> list[Box]:
    """Every rounded box on the screen, traced from its corners ``╭ ╮ ╰``."""
    found = []
    for y, line in enumerate(lines):
        for x, char in enumerate(line):
            if char != "╭":
                continue
            right = line.find("╮", x + 1)
            if right < 0:
                continue
            # The bottom-left corner, or the bottom-right one when a notice covers the left.
            bottom = next(
                (
                    b
                    for b in range(y + 1, len(lines))
                    if lines[b][x : x + 1] == "╰" or lines[b][right : right + 1] == "╯"
                ),
                -1,
            )
            if bottom < 0:
                continue
            top = line[x + 1 : right]
            title = top.strip("─").split(" ─")[0].strip() if top.startswith("─ ") else ""
            found.append(Box(title, x, y, right - x + 1, bottom - y + 1))
    return found


def panes(lines: list[str]) -> Panes | None:
    """The app's four panes (see ``Panes``), or None when they are not all on screen."""
    found = boxes(lines)
    tree = next((b for b in found if b.title == "Library"), None)
    related = next((b for b in found if b.title == "Related"), None)
    if tree is None or related is None:
        return None
    under = [b for b in found if b.x == tree.x and b.y >= tree.bottom]
    rest = [b for b in found if b not in (tree, related, *under[:1])]
    if not under or len(rest) != 1:
        return None
    return Panes(tree, under[0], rest[0], related)


def box_text(lines: list[str], box: Box) -> str:
    """The text inside a box, its lines joined with single spaces (a title wrapped over several
    lines reads whole)."""
    inner = [line[box.x + 1 : box.right - 1] for line in lines[box.y + 1 : box.bottom - 1]]
    # A scrollbar's blocks sit right against the text in a narrow pane: they are not text.
    return " ".join(" ".join(inner).translate(_SCROLLBAR).split())


def row_shows(row: str, title: str) -> bool:
    """Whether a list row (marker, title, source, date) shows ``title``, whole or cut with '…'."""
    text = row[1:].strip()  # after the marker
    if text.startswith(title):
        return True
    head = text.split("…")[0]
    return "…" in text and len(head) >= 8 and title.startswith(head)


# -- corpora --------------------------------------------------------------------------------------


def copy_seeds(tmp_path: Path) -> Path:
    """A private copy of ``seeds/``."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def write_article(
    folder: Path,
    name: str,
    *,
    title: str,
    url: str,
    published: str = "2021-04-11T20:51:00Z",
    body: str = "",
    provider: str = "Example News",
) -> Path:
    """A front-matter ``.txt`` file like the seeds' (title, excerpt, dates, URLs, provider, a
    topic) with a Markdown body after the front matter."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(
        [
            "---",
            "category: news",
            f"title: {_quoted(title)}",
            f"excerpt: {_quoted('About ' + title)}",
            f"publishedDateTime: {published}",
            f"originalUrl: {_quoted(url)}",
            f"webUrl: {_quoted(url)}",
            "type: article",
            "provider:",
            f"  name: {_quoted(provider)}",
            "  domain: example.com",
            "topics:",
            "  - Testing",
            "---",
            "",
            body,
            "",
        ]
    )
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def generated_title(index: int) -> str:
    """The title of article ``index`` of ``write_corpus``: its number first, so that a list row
    that cuts the title still tells them apart."""
    return f"Story {index:05d} of the generated corpus"


def write_corpus(folder: Path, count: int) -> list[str]:
    """``count`` small articles one minute apart, article 0 the newest, so a newest-first list
    shows them in index order. Their titles, in that order."""
    base = 1_700_000_000
    titles = []
    for index in range(count):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base - 60 * index))
        title = generated_title(index)
        body = (
            f"Paragraph one of story {index}, about nothing in particular.\n\n"
            f"Paragraph two of story {index}, with a few more words to clean and index."
        )
        write_article(
            folder,
            f"{index:05d}.txt",
            title=title,
            url=f"https://example.com/stories/{index}",
            published=stamp,
            body=body,
        )
        titles.append(title)
    return titles


RECORDER = """#!/bin/sh
# Records how it was run: whether stdin and stdout were a terminal, its arguments, and what it
# was given to show (the files it was named, else its stdin when that is not a terminal).
out={record}
# Asked before the block below: inside it, stdout is the record file.
if [ -t 0 ]; then stdin_tty=yes; else stdin_tty=no; fi
if [ -t 1 ]; then stdout_tty=yes; else stdout_tty=no; fi
{{
    echo "stdin-tty $stdin_tty"
    echo "stdout-tty $stdout_tty"
    for arg in "$@"; do printf 'arg %s\\n' "$arg"; done
}} > "$out.part"
for arg in "$@"; do [ -f "$arg" ] && cat "$arg" >> "$out.text"; done
[ -t 0 ] || cat >> "$out.text"
mv "$out.part" "$out"
"""


class Recorded(NamedTuple):
    """What a recorder script saw."""

    args: list[str]
    stdin_tty: bool
    stdout_tty: bool
    text: str


def write_recorder(directory: Path, name: str) -> tuple[Path, Path]:
    """A shell script that records its run into a file (see ``RECORDER``): (script, record)."""
    directory.mkdir(parents=True, exist_ok=True)
    record = directory / f"{name}.record"
    script = directory / name
    script.write_text(RECORDER.format(record=shlex.quote(str(record))), encoding="utf-8")
    script.chmod(0o755)
    return script, record


def read_record(record: Path) -> Recorded:
    """Parse a recorder's file."""
    fields = [line.split(" ", 1) for line in record.read_text(encoding="utf-8").splitlines()]
    text_file = record.with_name(record.name + ".text")
    return Recorded(
        args=[value for key, value in fields if key == "arg"],
        stdin_tty=["stdin-tty", "yes"] in fields,
        stdout_tty=["stdout-tty", "yes"] in fields,
        text=text_file.read_text(encoding="utf-8", errors="replace") if text_file.exists() else "",
    )


# -- processes ------------------------------------------------------------------------------------


def survivors(pid: int, marker: str) -> list[str]:
    """Processes that belong to the app and still run: in its session (pexpect makes the app a
    session leader, and its children keep the session when they are orphaned), descended from
    it, or with ``marker`` (e.g. its folder) on their command line. "pid command line" each,
    read from /proc."""
    parents: dict[int, int] = {}
    sessions: dict[int, int] = {}
    cmdlines: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended while we looked
        # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] in ("Z", "X"):
            continue  # ended; only its exit status is left to collect
        number = int(entry.name)
        parents[number] = int(fields[1])
        sessions[number] = int(fields[3])
        cmdlines[number] = cmdline.strip()
    found = {p for p, session in sessions.items() if session == pid}
    found |= {p for p, command in cmdlines.items() if marker in command}
    found.add(pid)
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                grew = True
    found.discard(os.getpid())
    return [f"{p} {cmdlines[p]}" for p in sorted(found) if p in cmdlines]
