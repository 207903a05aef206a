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

#: Holds an exclusive lock (or a writer's, with ``write``) on a database until a line arrives on stdin (or stdin closes).
HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    if sys.argv[2] == "exclusive":
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
    else:  # a writer at work, as another sync is: readers go on
        conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("COMMIT")
    """
)


@pytest.fixture
def lock_of() -> Iterator[object]:
    """``lock_of(path)`` takes an exclusive lock on ``path`` from another process
    (``lock_of(path, "write")``: a writer's lock); released when the test ends."""
    holders: list[subprocess.Popen[str]] = []

    def take(path: Path, mode: str = "exclusive") -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path), mode],
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


def test_full_index_rereads_an_edit_of_the_same_size_with_its_mtime_restored(
    tmp_path: Path, data_dir: Path
) -> None:
    folder = _folder_of(tmp_path, 3)
    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    path = folder / "001.md"
    st = path.stat()
    path.write_text(path.read_text().replace("Story 1", "Storm 1"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert library.sync(workers=1).updated == 0  # nothing tells a plain sync
    report = library.sync(workers=1, full=True)
    assert report.parsed == 3 and report.unchanged == 0, report.summary()
    assert [r.title for r in library.page(View(query="storm"))] == ["Storm 1"]
    library.close()


def test_index_full_on_the_command_line(tmp_path: Path, data_dir: Path) -> None:
    folder = _folder_of(tmp_path, 3)
    run = [sys.executable, "-m", "newsreader", "index", str(folder), "--json"]
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir)}
    subprocess.run(run, env=env, check=True, capture_output=True)
    done = subprocess.run([*run, "--full"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert '"unchanged": 0' in done.stdout and '"updated": 3' in done.stdout, done.stdout


@pytest.mark.parametrize("follow", [False, True])
def test_follow_symlinks_outside_reaches_the_walk(
    tmp_path: Path, data_dir: Path, follow: bool
) -> None:
    folder = _folder_of(tmp_path, 2)
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: The secret\n---\n\nPrivate words.\n")
    (folder / "innocent.md").symlink_to(secret)
    library = Library.open(folder, data_dir, follow_symlinks_outside=follow)
    library.sync(workers=1)
    assert library.count(View(query="private")) == (1 if follow else 0)
    reasons = [p.reason for p in library.problems()]
    assert any("outside the folder" in r for r in reasons) != follow
    library.close()


def test_follow_symlinks_outside_is_a_setting(tmp_path: Path) -> None:
    from newsreader import config

    path = tmp_path / "config.toml"
    path.write_text("follow_symlinks_outside = true\n")
    assert config.load(path).follow_symlinks_outside is True
    assert config.load(tmp_path / "none.toml").follow_symlinks_outside is False
    assert "follow_symlinks_outside = false" in config.DEFAULT_TOML


def test_data_version_moves_when_another_process_indexes(tmp_path: Path, data_dir: Path) -> None:
    folder = _folder_of(tmp_path, 3)
    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    before = library.data_version()
    library.set_starred(library.article_ids(View())[:1])  # its own marks: no reload
    assert library.data_version() == before
    (folder / "new.md").write_text("---\ntitle: New\n---\n\nNew text.\n")
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir)}
    subprocess.run(
        [sys.executable, "-m", "newsreader", "index", str(folder)],
        env=env,
        check=True,
        capture_output=True,
    )
    assert library.data_version() != before
    assert library.count(View()) == 4
    library.close()


def test_a_sync_waits_for_a_busy_cache(
    tmp_path: Path, data_dir: Path, lock_of: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    folder = _folder_of(tmp_path, 5)
    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    (folder / "new.md").write_text("---\ntitle: New\n---\n\nNew text.\n")
    assert library.cache_path is not None
    monkeypatch.setenv("NEWSREADER_BUSY_TIMEOUT", "0.3")
    holder = lock_of(library.cache_path, "write")  # type: ignore[operator]
    # released while the sync waits: after more than one busy timeout
    threading.Timer(1.0, holder.communicate, args=("go\n",)).start()
    report = library.sync(workers=1)
    assert report.added == 1 and report.unchanged == 5, report.summary()
    library.close()


def test_export_never_overwrites(tmp_path: Path) -> None:
    from newsreader.export import free_name, write_new

    notes = tmp_path / "my-notes.md"
    notes.write_text("mine")
    with pytest.raises(FileExistsError):
        write_new(notes, "theirs")
    assert notes.read_text() == "mine"
    write_new(notes, "theirs", force=True)
    assert notes.read_text() == "theirs"
    assert free_name(tmp_path / "fresh.md") == tmp_path / "fresh.md"
    assert free_name(notes) == tmp_path / "my-notes-2.md"
    (tmp_path / "my-notes-2.md").write_text("")
    assert free_name(notes) == tmp_path / "my-notes-3.md"


def test_export_o_refuses_an_existing_file_without_force(
    seeds_dir: Path, tmp_path: Path, data_dir: Path
) -> None:
    out = tmp_path / "my-notes.md"
    out.write_text("mine")
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir)}
    run = [sys.executable, "-m", "newsreader", "export", str(seeds_dir), "-o", str(out)]
    done = subprocess.run(run, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "exists" in done.stderr and "--force" in done.stderr
    assert out.read_text() == "mine"
    done = subprocess.run([*run, "--force"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("# ")
