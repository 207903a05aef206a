"""User settings from ``config.toml``: read with tomllib, checked key by key, never fatal.

An unknown key or a wrong type gives a message naming the key and its line, and that setting
keeps its default; the app always starts.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from newsreader import paths
from newsreader.ingest.sanitize import clean_line

SORTS = ("newest", "oldest", "title", "source", "unread")
#: The shortest ``fetch_every``: feeds are not to be polled every few seconds.
MIN_FETCH_EVERY = 300
_INTERVAL = re.compile(r"(\d{1,6})\s*(s|m|min|h|d)")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


@dataclass
class Config:
    """Every setting, with its default."""

    theme: str = "textual-dark"
    #: A browser command; ``%s`` is replaced by the URL (else the URL is appended). Empty: $BROWSER
    #: or the system default.
    browser: str = ""
    mark_read_on_open: bool = True
    hide_read: bool = False
    sort: str = "newest"
    reader_max_width: int = 88
    data_dir: str = ""
    #: The command `|` pipes the current article's text to (run with no shell).
    pipe_command: str = ""
    #: `|` hands the terminal to the pipe command (an interactive program: less, vim -, a mail
    #: client) instead of showing what it prints.
    pipe_in_terminal: bool = False
    #: Index files that symlinks in the folder point at outside it (off: such a link to
    #: ``~/secret.txt`` must not make the secret searchable; it is listed in problems).
    follow_symlinks_outside: bool = False
    #: Fetch the folder's feeds this often while the reader runs ("30m", "2h"; empty: never).
    fetch_every: str = ""
    #: Binding id -> keys, e.g. ``list_down = "ctrl+n,down"``. See ``?`` for the ids.
    keys: dict[str, str] = field(default_factory=dict)
    #: Messages about the file, for the UI and CLI to show.
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


DEFAULT_TOML = """\
# newsreader configuration. Every setting is optional; delete a line to get its default.

# A Textual theme: textual-dark, textual-light, nord, gruvbox, catppuccin-latte, solarized-light…
# Choosing one in the command palette (ctrl+p, "theme") writes it here.
theme = "textual-dark"

# The browser command for `o` and links; %s stands for the URL. Empty: $BROWSER, else the default.
browser = ""

# Opening an article marks it read.
mark_read_on_open = true

# Hide read articles from lists (u toggles this for the session).
hide_read = false

# Sort order of lists: newest, oldest, title, source or unread (unread first, then newest).
# O (or "Sort" in the palette) changes it and writes it here.
sort = "newest"

# Maximum width of the reader's text, in columns.
reader_max_width = 88

# Where the cache and your state live (empty: the platform's user data dir).
data_dir = ""

# `|` pipes the current article's text to this command (no shell) and shows what it prints,
# e.g. "wc -w" or a script of your own.
pipe_command = ""

# Hand the terminal to the pipe command while it runs (for an interactive program such as
# "less", "vim -" or a mail client), instead of showing what it prints in a notice.
pipe_in_terminal = false

# Index files that symlinks in the folder point at outside it. Off, such links are skipped
# and listed by `P` and `newsreader problems`.
follow_symlinks_outside = false

# Fetch the folder's feeds this often while the reader runs, e.g. "30m" or "2h" (empty: never;
# R fetches them at any time).
fetch_every = ""

# Remap keys by binding id (press ? to see every id and its key).
[keys]
# list_down = "j,down"
# list_up = "k,up"
"""


class ConfigError(OSError):
    """The config file cannot be read or written as text (an OSError, so that callers that
    already report a failed write report this too)."""


#: A key at the start of a line: bare, or in double or single quotes.
_KEY = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")


def _key_lines(text: str) -> dict[str, int]:
    """The line each key is first set on, from one pass over the file (a pass per key made a
    check of thousands of keys quadratic)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _KEY.match(line)
        if match:
            lines.setdefault(next(g for g in match.groups() if g is not None), number)
    return lines


def shown(value: object) -> str:
    """A key, value or path from the file as one safe line: no escape sequences, no controls,
    no line breaks, and not too long (the file may come from anywhere)."""
    return clean_line(str(value), 200)


def read_text(path: Path) -> str:
    """The config file's text. A file that is not UTF-8 raises :class:`ConfigError` naming the
    line of the first bad byte; a missing file raises FileNotFoundError."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"{shown(path)}, line {line}: not UTF-8 text (byte 0x{data[error.start]:02x});"
            " save it as UTF-8"
        ) from None


def load(path: Path | None = None) -> Config:
    """Read the config file; a missing file is the defaults, a broken one is reported."""
    path = path or paths.config_file()
    config = Config(path=path)
    try:
        text = read_text(path)
    except FileNotFoundError:
        return config
    except ConfigError as error:
        config.problems.append(f"{error}; using the defaults")
        return config
    except OSError as error:
        config.problems.append(
            f"{shown(path)}: cannot read it ({shown(error)}); using the defaults"
        )
        return config
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        config.problems.append(f"{shown(path)}: {shown(error)}; using the defaults")
        return config
    apply(config, data, text)
    return config


def apply(config: Config, data: dict[str, Any], text: str = "") -> None:
    """Copy checked values from parsed TOML into ``config``; report the rest."""
    known = {f.name: f for f in fields(Config) if f.name not in ("problems", "path")}
    defaults = Config()
    lines = _key_lines(text)
    for key, value in data.items():
        where = f"{shown(config.path)}, line {lines.get(key, '?')}"
        name = shown(key)
        if key not in known:
            config.problems.append(f"{where}: unknown setting '{name}' (ignored)")
            continue
        expected = type(getattr(defaults, key))
        if expected is dict:
            if not isinstance(value, dict):
                config.problems.append(f"{where}: '{key}' must be a table (ignored)")
                continue
            good = {k: v for k, v in value.items() if isinstance(v, str) and v.strip()}
            for bad in sorted(set(value) - set(good)):
                config.problems.append(
                    f"{shown(config.path)}, line {lines.get(bad, '?')}: '{key}.{shown(bad)}'"
                    ' must be a key string like "ctrl+n" (ignored)'
                )
            value = good
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            config.problems.append(
                f"{where}: '{key}' must be {expected.__name__}, not {type(value).__name__} (default used)"
            )
            continue
        if key == "sort" and value not in SORTS:
            config.problems.append(
                f"{where}: 'sort' must be one of {', '.join(SORTS)} (default used)"
            )
            continue
        if key == "fetch_every" and value.strip() and interval_seconds(value) is None:
            config.problems.append(
                f'{where}: \'fetch_every\' must be a time like "30m" or "2h", at least'
                f" {MIN_FETCH_EVERY // 60} minutes, not '{shown(value)}' (never fetched)"
            )
            continue
        if key == "reader_max_width" and not 30 <= value <= 400:
            config.problems.append(f"{where}: 'reader_max_width' must be 30–400 (default used)")
            continue
        setattr(config, key, value)


def interval_seconds(text: str) -> int | None:
    """Seconds in a ``fetch_every`` value: a number and a unit, s, m, h or d ("30m", "2h").
    None when it is empty, not such a time, or shorter than MIN_FETCH_EVERY."""
    match = _INTERVAL.fullmatch(text.strip().lower())
    if match is None:
        return None
    seconds = int(match[1]) * _UNITS[match[2]]
    return seconds if seconds >= MIN_FETCH_EVERY else None


def check_names(config: Config, themes: Collection[str], ids: Collection[str]) -> list[str]:
    """Problems only the UI can name: a theme or binding id it doesn't know, in the same form
    (path, line) as the others. The UI passes its themes and binding ids, so this stays free of
    Textual."""
    try:
        text = read_text(config.path) if config.path else ""
    except OSError:  # load() has said so already
        text = ""
    lines = _key_lines(text)
    where = shown(config.path)
    problems = []
    if config.theme not in themes:
        problems.append(
            f"{where}, line {lines.get('theme', '?')}: unknown theme "
            f"'{shown(config.theme)}' (default used; the palette's Theme command lists them)"
        )
    for key in sorted(set(config.keys) - set(ids)):
        problems.append(
            f"{where}, line {lines.get(key, '?')}: unknown binding id "
            f"'keys.{shown(key)}' (ignored; press ? to see every id)"
        )
    return problems


def init(path: Path | None = None) -> Path:
    """Write the commented default config, unless one exists. Returns its path."""
    path = path or paths.config_file()
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEFAULT_TOML, encoding="utf-8")
    return path


def save_setting(path: Path, key: str, value: str) -> None:
    """Set one top-level string setting in the file, keeping everything else (and comments).

    Raises OSError (:class:`ConfigError` for a file that is not UTF-8, which is left as it is).
    """
    # json.dumps writes a TOML basic string: quotes, backslashes and controls escaped (DEL too,
    # which TOML also forbids raw).
    quoted = json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    line = f"{key} = {quoted}"
    try:
        text = read_text(path)
    except FileNotFoundError:
        text = DEFAULT_TOML  # a new file explains every other setting too
    pattern = re.compile(rf"^{re.escape(key)}\s*=.*$", re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: line, text, count=1)  # no backslash escapes in `line`
    else:
        # Top-level keys must come before the first table.
        table = re.search(r"^\[", text, re.M)
        at = table.start() if table else len(text)
        text = text[:at] + line + "\n" + text[at:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
