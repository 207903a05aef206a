"""Shared fixtures: a temporary data dir (never the real one) and the repository's seeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir, also set as ``NEWSREADER_DATA_DIR`` for code that reads the env."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("NEWSREADER_DATA_DIR", str(path))
    return path


@pytest.fixture
def seeds_dir() -> Path:
    """The five seed files, read-only: copy them (``seeds_copy``) before changing anything."""
    return SEEDS


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seeds folder."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target
