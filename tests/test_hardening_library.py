"""Issue 16, the library's side: a locked state is waited for and never reset, a vanished
folder changes nothing, a deleted cache is rebuilt, a slow file is skipped, exports never
overwrite, ``index --full`` re-reads, and another process's writes are noticed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsreader.library import db
from newsreader.library.library import Library, View

#: Holds an exclusive lock on a database until a line arrives on stdin (or stdin closes).
HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("COMMIT")
    """
)


@pytest.fixture
def lock_of() -> Iterator[object]:
    """``lock_of(path)`` takes an exclusive lock on ``path`` from another process; released
    (the process ended) when the test ends."""
    holders: list[subprocess.Popen[str]] = []

    def take(path: Path) -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(holder)
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        return holder

    yield take
    for holder in holders:
        if holder.poll() is None:
            holder.communicate("go\n", timeout=30)


def _marked(seeds: Path, data_dir: Path) -> list[str]:
    library = Library.open(seeds, data_dir)
    library.sync(workers=1)
    ids = library.article_ids(View())
    library.set_read(ids[:2])
    library.set_starred(ids[:1])
    library.close()
    return ids


def test_a_locked_state_is_waited_for_then_used_from_memory_never_moved(
    seeds_dir: Path, data_dir: Path, lock_of: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _marked(seeds_dir, data_dir)
    state = data_dir / "state.sqlite"
    before = state.read_bytes()
    monkeypatch.setenv("NEWSREADER_BUSY_TIMEOUT", "0.3")
    lock_of(state)  # type: ignore[operator]
    library = Library.open(seeds_dir, data_dir)
    assert any("locked by another process" in w for w in library.warnings), library.warnings
    assert not any("damaged" in w for w in library.warnings), library.warnings
    assert list(data_dir.glob("state.sqlite.*")) == []  # nothing moved aside
    # the marks are shown (read from the file as it stands) and new ones last the session
    assert library.is_read(ids[0]) and library.is_starred(ids[0])
    library.set_read(ids[2:3])
    assert library.is_read(ids[2])
    library.close()
    assert state.read_bytes() == before


def test_list_waits_for_a_locked_state_and_says_so(
    seeds_dir: Path, data_dir: Path, lock_of: object
) -> None:
    ids = _marked(seeds_dir, data_dir)
    holder = lock_of(data_dir / "state.sqlite")  # type: ignore[operator]
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir), "NEWSREADER_BUSY_TIMEOUT": "0.3"}
    done = subprocess.run(
        [sys.executable, "-m", "newsreader", "list", str(seeds_dir), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "locked by another process" in done.stderr and "damaged" not in done.stderr
    assert len(done.stdout.splitlines()) == 5
    assert list(data_dir.glob("state.sqlite.*")) == []
    holder.communicate("go\n", timeout=30)
    read = sqlite3.connect(data_dir / "state.sqlite")
    assert {r[0] for r in read.execute("SELECT id FROM read")} == set(ids[:2])


def test_a_locked_cache_is_not_moved_aside(
    seeds_dir: Path, data_dir: Path, lock_of: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    _marked(seeds_dir, data_dir)
    (cache,) = (data_dir / "cache").glob("*.sqlite")
    monkeypatch.setenv("NEWSREADER_BUSY_TIMEOUT", "0.3")
    lock_of(cache)  # type: ignore[operator]
    library = Library.open(seeds_dir, data_dir)
    assert any("locked by another process" in w for w in library.warnings), library.warnings
    assert list(cache.parent.glob("*.corrupt-*")) == []
    assert library.count(View()) == 5
    library.close()


def test_busy_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSREADER_BUSY_TIMEOUT", "0.25")
    assert db.connect(":memory:").execute("PRAGMA busy_timeout").fetchone()[0] == 250
    monkeypatch.setenv("NEWSREADER_BUSY_TIMEOUT", "nonsense")
    assert db.connect(":memory:").execute("PRAGMA busy_timeout").fetchone()[0] == 10000


def _folder_of(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "ren"
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:03d}.md").write_text(
            f"---\ntitle: Story {i}\noriginalUrl: https://example.org/{i}\n---\n\nText {i}.\n"
        )
    return folder


def _cache_rows(library: Library) -> list[tuple[object, ...]]:
    with library.store.reading() as conn:
        return conn.execute("SELECT path, size, mtime_ns, article_id FROM files").fetchall()


@pytest.mark.parametrize("how", ["renamed", "replaced-by-a-file"])
def test_a_folder_that_vanishes_changes_nothing(tmp_path: Path, data_dir: Path, how: str) -> None:
    from newsreader.library.sync import FolderUnavailable

    folder = _folder_of(tmp_path, 30)
    library = Library.open(folder, data_dir)
    assert library.sync(workers=1).added == 30
    ids = library.article_ids(View())
    library.set_read(ids[:3])
    before = _cache_rows(library)
    folder.rename(tmp_path / "ren2")
    if how == "replaced-by-a-file":
        folder.write_text("not a folder")
    with pytest.raises(FolderUnavailable, match="cannot be read.*nothing was changed"):
        library.sync(workers=1)
    assert _cache_rows(library) == before
    assert library.count(View()) == 30 and library.totals()["unread"] == 27


def test_a_cache_deleted_under_a_running_session_is_rebuilt(tmp_path: Path, data_dir: Path) -> None:
    folder = _folder_of(tmp_path, 10)
    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    ids = library.article_ids(View())
    library.set_starred(ids[:2])
    cache = library.cache_path
    assert cache is not None
    for path in cache.parent.glob(cache.name + "*"):
        path.unlink()
    report = library.sync(workers=1)
    assert report.added == 10, report.summary()
    assert cache.exists() and library.count(View()) == 10
    assert library.totals()["starred"] == 2
    library.close()


def test_a_deleted_cache_keeps_a_state_held_in_memory(
    seeds_dir: Path, data_dir: Path, lock_of: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _marked(seeds_dir, data_dir)
    monkeypatch.setenv("NEWSREADER_BUSY_TIMEOUT", "0.2")
    lock_of(data_dir / "state.sqlite")  # type: ignore[operator]
    library = Library.open(seeds_dir, data_dir)
    library.set_read(ids[2:3])  # kept in memory this session
    cache = library.cache_path
    assert cache is not None
    for path in cache.parent.glob(cache.name + "*"):
        path.unlink()
    assert library.sync(workers=1).added == 5
    assert all(library.is_read(i) for i in ids[:3]) and library.is_starred(ids[0])
    library.close()
