"""The config, applied to a running app: after ``$EDITOR`` changed the file (the palette's
"Edit config"), the settings that can change while the app runs take effect at once."""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from textual.app import App

from newsreader import config as config_module
from newsreader.config import Config
from newsreader.tui.commands import binding_ids

#: Tried in turn when neither $VISUAL nor $EDITOR is set.
FALLBACK_EDITORS = ("editor", "nano", "vi")
#: Settings read only at start (where the data lives): a change says so.
AT_START = ("data_dir",)

SORT_CHOICES = [
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("title", "Title"),
    ("source", "Source"),
    ("unread", "Unread first"),
]


def editor_argv(environ: Mapping[str, str] = os.environ) -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else the first of :data:`FALLBACK_EDITORS` on the PATH, as
    an argv ([] when there is none)."""
    for name in ("VISUAL", "EDITOR"):
        try:
            argv = shlex.split(environ.get(name, "").strip())
        except ValueError:
            argv = []
        if argv:
            return argv
    found = next((e for e in FALLBACK_EDITORS if shutil.which(e)), "")
    return [found] if found else []


def ensure_file(path: Path) -> None:
    """The config file, written with every default and its comment if there is none yet."""
    if not path.exists():
        config_module.init(path)


def apply(app: App[Any], config: Config) -> list[str]:
    """Give the app the config's theme and keys (at start, and after an edit); returns the
    names in the file that are no theme or binding id."""
    known = binding_ids()
    if config.theme in app.available_themes:
        app.theme = config.theme
    app.set_keymap({k: v for k, v in config.keys.items() if k in known})
    return config_module.check_names(config, app.available_themes, known)


def reload(app: App[Any], config: Config, path: Path) -> tuple[list[str], list[str]]:
    """Read the file again into ``config`` (the object the app and screen share) and apply
    the theme and keys. Returns (the settings that changed, the problems found)."""
    fresh = config_module.load(path)
    changed = []
    for field in fields(Config):
        if field.name in ("problems", "path"):
            continue
        if getattr(fresh, field.name) != getattr(config, field.name):
            changed.append(field.name)
            setattr(config, field.name, getattr(fresh, field.name))
    problems = fresh.problems + apply(app, config)
    problems += [f"{name} takes effect at the next start" for name in AT_START if name in changed]
    return changed, problems
