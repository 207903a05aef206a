"""Where things live. Every location goes through platformdirs and can be overridden."""

from __future__ import annotations

import hashlib
import os
import pwd
from pathlib import Path

import platformdirs

APP = "newsreader"


class UnsafeDataDir(ValueError):
    """A data dir that would scatter the cache and the state among other things: ``/``, a
    drive's root, or a home directory itself."""


def data_dir(override: str | os.PathLike[str] | None = None, configured: str = "") -> Path:
    """The data dir: ``--data-dir``, else ``$NEWSREADER_DATA_DIR``, else the config file's
    ``data_dir``, else the user data dir. Raises :class:`UnsafeDataDir` for a root or a home."""
    chosen = (
        override
        or os.environ.get("NEWSREADER_DATA_DIR")
        or configured
        or platformdirs.user_data_dir(APP)
    )
    path = Path(chosen).expanduser()
    _refuse_unsafe(path)
    return path


def _refuse_unsafe(path: Path) -> None:
    resolved = path.resolve()
    if resolved == Path(resolved.anchor):
        why = "it is the root of the file system"
    elif resolved in _homes():
        why = "it is a home directory"
    else:
        return
    raise UnsafeDataDir(
        f"refusing to use {path} as the data dir: {why}, and the cache and your state would be"
        f" written among its files; choose a folder of its own, like {path / APP}"
    )


def _homes() -> set[Path]:
    """Every user's home directory, and ``$HOME``."""
    homes = {Path.home().resolve()}
    try:
        homes.update(Path(user.pw_dir).resolve() for user in pwd.getpwall() if user.pw_dir)
    except OSError:  # no user database here: $HOME is still checked
        pass
    return homes


def config_file() -> Path:
    """The config file: ``$NEWSREADER_CONFIG``, else ``config.toml`` in the user config dir."""
    chosen = os.environ.get("NEWSREADER_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def library_key(folder: str | os.PathLike[str]) -> str:
    """A short stable name for a folder's own cache file."""
    resolved = str(Path(folder).expanduser().resolve())
    name = Path(resolved).name or "root"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40]
    return f"{safe}-{hashlib.sha256(os.fsencode(resolved)).hexdigest()[:12]}"
