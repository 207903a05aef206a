"""Where things live. Every location goes through platformdirs and can be overridden."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

APP = "newsreader"


def data_dir(override: str | os.PathLike[str] | None = None, configured: str = "") -> Path:
    """The data dir: ``--data-dir``, else ``$NEWSREADER_DATA_DIR``, else the config file's
    ``data_dir``, else the user data dir."""
    chosen = (
        override
        or os.environ.get("NEWSREADER_DATA_DIR")
        or configured
        or platformdirs.user_data_dir(APP)
    )
    return Path(chosen).expanduser()


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
