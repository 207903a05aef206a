"""Recovery: damaged or newer databases, unwritable data dirs, kill -9 mid-sync, two processes."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsreader.ingest.load import load_file
from newsreader.library import db
from newsreader.library.library import Library, View
from newsreader.model import Article
from proc_support import session


def synced(folder: Path, data_dir: Path) -> Library:
    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    return library


def prepare_damage(seeds_dir: Path, data_dir: Path) -> tuple[Path, list[str]]:
    library = synced(seeds_dir, data_dir)
    ids = library.article_ids(View())[:2]
    library.set_read(ids)
    cache = library.cache_path
    library.close()
    assert cache is not None and not Path(f"{cache}-wal").exists()
    return cache, ids


def asides(path: Path) -> list[Path]:
    found = path.parent.glob(path.name + ".corrupt-*")
    return sorted(p for p in found if not p.name.endswith(("-wal", "-shm")))


@pytest.mark.parametrize("damage", ["junk", "truncated", "zeroed-header"])
def test_corrupt_cache_is_moved_aside_and_rebuilt(
    seeds_dir: Path, data_dir: Path, damage: str
) -> None:
    cache, ids = prepare_damage(seeds_dir, data_dir)
    data = cache.read_bytes()
    if damage == "junk":
        cache.write_bytes(b"this is not a database at all " * 1000)
    elif damage == "truncated":
        cache.write_bytes(data[: len(data) // 2])
    else:
        cache.write_bytes(b"\0" * 100 + data[100:])
    library = Library.open(seeds_dir, data_dir)
    assert any("damaged" in w for w in library.warnings), library.warnings
    assert len(asides(cache)) == 1
    report = library.sync(workers=1)
    assert report.added == 5 and library.count(View()) == 5
    assert all(library.is_read(i) for i in ids)
    assert library.cache_path == cache  # rebuilt in place, on disk


def test_newer_cache_is_left_untouched(seeds_dir: Path, data_dir: Path) -> None:
    cache, ids = prepare_damage(seeds_dir, data_dir)
    conn = sqlite3.connect(cache)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = cache.read_bytes()
    library = Library.open(seeds_dir, data_dir)
    assert any("newer" in w and "untouched" in w for w in library.warnings), library.warnings
    library.sync(workers=1)
    assert library.count(View()) == 5 and all(library.is_read(i) for i in ids)
    library.close()
    assert cache.read_bytes() == before and not asides(cache)


def test_damaged_state_is_moved_aside_loudly(seeds_dir: Path, data_dir: Path) -> None:
    prepare_damage(seeds_dir, data_dir)
    state = data_dir / "state.sqlite"
    state.write_bytes(b"garbage" * 5000)
    library = Library.open(seeds_dir, data_dir)
    loud = [w for w in library.warnings if w.startswith("WARNING")]
    assert loud and "nothing was deleted" in loud[0]
    (aside,) = asides(state)
    assert aside.read_bytes() == b"garbage" * 5000
    library.sync(workers=1)
    ids = library.article_ids(View())
    library.set_read(ids[:1])
    assert library.totals()["unread"] == 4


def test_unwritable_data_dir_works_from_memory(seeds_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    library = Library.open(seeds_dir, blocker / "data")
    assert library.opened.in_memory and library.cache_path is None
    assert any("working from memory" in w for w in library.warnings)
    assert library.sync().added == 5
    ids = library.article_ids(View(query="clearview"))
    library.set_read(ids)
    library.save_search("x", "y")
    assert library.count(View(unread=True)) == 5 - len(ids)
    assert library.saved_searches() == [("x", "y")]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_data_dir_keeps_what_it_has(seeds_dir: Path, data_dir: Path) -> None:
    _, ids = prepare_damage(seeds_dir, data_dir)
    for path in [data_dir, *data_dir.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        library = Library.open(seeds_dir, data_dir)
        assert library.opened.in_memory
        library.sync()
        assert all(library.is_read(i) for i in ids)
        library.set_read(library.article_ids(View()))
        assert library.totals()["unread"] == 0
    finally:
        for path in [data_dir, *data_dir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a writable dir, the same dir mounted read-only): what root needs to meet a read-only
    data dir for real, where chmod stops nobody. Skipped where mounting is not allowed."""
    source, mounted = tmp_path / "rw", tmp_path / "ro"
    source.mkdir()
    mounted.mkdir()
    bind = subprocess.run(["mount", "--bind", str(source), str(mounted)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)], capture_output=True)
        if ro.returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield source, mounted
    finally:
        if subprocess.run(["umount", str(mounted)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mounted)], capture_output=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses a Linux bind mount")
def test_read_only_data_dir_for_real_keeps_what_it_has(
    seeds_dir: Path, read_only_mount: tuple[Path, Path]
) -> None:
    writable, read_only = read_only_mount
    _, ids = prepare_damage(seeds_dir, writable)
    state_before = (writable / "state.sqlite").read_bytes()
    library = Library.open(seeds_dir, read_only)
    assert library.opened.in_memory
    assert any("working from memory" in w for w in library.warnings), library.warnings
    library.sync(workers=1)
    assert library.count(View()) == 5 and all(library.is_read(i) for i in ids)
    library.set_read(library.article_ids(View()))
    assert library.totals()["unread"] == 0
    library.close()
    assert (writable / "state.sqlite").read_bytes() == state_before


def _write_corpus(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        path = folder / f"d{i % 7}" / f"{i:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'---\ntitle: "Generated story {i}"\noriginalUrl: "https://example.org/{i}/"\n'
            f"publishedDateTime: 2020-01-01T00:00:00Z\ntopics: [T{i % 5}]\n---\n\n"
            f"Paragraph {i} about things and more things, enough words to index.\n"
        )
        paths.append(path)
    return paths


CHILD = textwrap.dedent(
    """
    import sys
    from newsreader.library.library import Library
    library = Library.open(sys.argv[1], sys.argv[2])
    def progress(done, total, phase):
        if phase == "parsing" and done >= 1000:  # a batch of 1,000 is committed
            print(done, total, flush=True)
    library.sync(progress=progress)
    print("finished", flush=True)
    """
)


def test_kill_9_mid_index_then_resync(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "corpus"
    paths = _write_corpus(folder, 3000)
    first = load_file(str(paths[0]))
    last = load_file(str(paths[-1]))
    assert isinstance(first, Article) and isinstance(last, Article)
    state = Library.open(folder, data_dir)
    state.set_read([first.id, last.id])
    state.close()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()  # the first batch is committed
    assert line.split()[1] == "3000", line
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    library = Library.open(folder, data_dir)
    assert not library.warnings
    stored = library.count(View())
    assert 0 < stored < 3000
    report = library.sync(workers=2)
    assert report.added == 3000 - stored and report.unchanged == stored
    assert library.count(View()) == 3000
    assert library.is_read(first.id) and library.is_read(last.id)
    assert library.totals()["unread"] == 2998


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_kill_9_of_newsreader_alone_leaves_no_worker_behind(tmp_path: Path, data_dir: Path) -> None:
    """Only the main process is killed, as `kill -9 PID` does: its workers must not linger."""
    folder = tmp_path / "corpus"
    _write_corpus(folder, 3000)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        child.stdout.readline()  # the first batch is committed: the pool is at work
        assert len(session(child.pid)) > 1
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        for _ in range(100):  # the workers look for their parent once a second
            if not session(child.pid):
                break
            time.sleep(0.1)
        assert session(child.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)


MARKER = textwrap.dedent(
    """
    import sys
    from newsreader.library.library import Library
    library = Library.open(sys.argv[1], sys.argv[2])
    prefix = sys.argv[3]
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(150):
        library.set_read([f"{prefix}-{i}"])
        library.set_starred([f"{prefix}-{i}"], i % 2 == 0)
    library.sync()
    print("done", library.count(__import__("newsreader.library.library").library.library.View()))
    """
)


def test_two_processes_write_at_once(seeds_dir: Path, data_dir: Path) -> None:
    synced(seeds_dir, data_dir).close()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", MARKER, str(seeds_dir), str(data_dir), prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("a", "b")
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for child in children:  # release both together
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert "locked" not in err and out.strip() == "done 5"
    conn = sqlite3.connect(data_dir / "state.sqlite")
    read = {r[0] for r in conn.execute("SELECT id FROM read")}
    starred = {r[0] for r in conn.execute("SELECT id FROM starred")}
    assert read == {f"{p}-{i}" for p in "ab" for i in range(150)}
    assert starred == {f"{p}-{i}" for p in "ab" for i in range(0, 150, 2)}


def _damage_pages(path: Path, table: str | None = None, skip_last: bool = False) -> int:
    """Overwrite pages of ``path`` (all after the first, or those of one table) with junk."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    if table is None:
        count = conn.execute("PRAGMA page_count").fetchone()[0]
        pages = list(range(2, count + 1))
    else:
        pages = [
            p
            for (p,) in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
                (table,),
            )
        ]
        pages = pages[:-1] if skip_last else pages
    conn.close()
    with open(path, "r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * page_size + 8)
            handle.write(b"\xde\xad\xbe\xef" * ((page_size - 8) // 4))
    return len(pages)


def test_newer_cache_is_left_byte_identical_whatever_its_journal_mode(
    seeds_dir: Path, data_dir: Path
) -> None:
    cache, _ = prepare_damage(seeds_dir, data_dir)
    conn = sqlite3.connect(cache)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = cache.read_bytes()
    library = Library.open(seeds_dir, data_dir)
    library.sync(workers=1)
    library.close()
    assert cache.read_bytes() == before
    conn = sqlite3.connect(cache)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_cache_damaged_inside_its_search_index_is_rebuilt(seeds_dir: Path, data_dir: Path) -> None:
    cache, ids = prepare_damage(seeds_dir, data_dir)
    library = Library.open(seeds_dir, data_dir)
    hits = library.count(View(query="clearview"))
    library.close()
    assert hits > 0 and _damage_pages(cache, "fts_data") > 0
    library = Library.open(seeds_dir, data_dir)
    assert any("damaged" in w for w in library.warnings), library.warnings
    library.sync(workers=1)
    assert library.count(View(query="clearview")) == hits
    assert all(library.is_read(i) for i in ids)


def test_state_damaged_inside_its_pages_is_moved_aside_loudly(
    seeds_dir: Path, data_dir: Path
) -> None:
    prepare_damage(seeds_dir, data_dir)
    state = data_dir / "state.sqlite"
    assert _damage_pages(state) > 0
    damaged = state.read_bytes()
    library = Library.open(seeds_dir, data_dir)
    loud = [w for w in library.warnings if w.startswith("WARNING")]
    assert loud and "nothing was deleted" in loud[0]
    (aside,) = asides(state)
    assert aside.read_bytes() == damaged
    library.sync(workers=1)
    library.set_read(library.article_ids(View())[:1])
    assert library.totals()["unread"] == 4


def test_a_disk_that_fills_up_mid_sync_goes_on_from_memory(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "folder"
    _write_corpus(folder, 10)
    library = synced(folder, data_dir)
    read = library.article_ids(View())[:3]
    library.set_read(read)
    library.set_starred(read[:1])
    _write_corpus(folder, 400)
    real_connect = db.connect

    def full_disk(path: str | Path, cache_mb: int = 16, *, wal: bool = True) -> sqlite3.Connection:
        conn = real_connect(path, cache_mb, wal=wal)
        if cache_mb == 2:  # the sync's writer: the cache file may not grow (SQLITE_FULL)
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages + 1}")
        return conn

    monkeypatch.setattr(db, "connect", full_disk)
    library.sync(workers=1)
    assert library.opened.in_memory
    assert any("working from memory" in w for w in library.warnings), library.warnings
    assert library.count(View()) == 400
    assert all(library.is_read(i) for i in read) and library.is_starred(read[0])
    library.set_read(library.article_ids(View())[:10])
    assert library.totals()["unread"] == 390


def test_cli_recovers_from_damage_found_only_in_use(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "folder"
    _write_corpus(folder, 300)
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir)}
    run = [sys.executable, "-m", "newsreader"]
    subprocess.run([*run, "index", str(folder)], env=env, check=True, capture_output=True)
    (cache,) = (data_dir / "cache").glob("*.sqlite")
    # leaf pages of the articles table that opening never reads (it reads the rightmost one)
    assert _damage_pages(cache, "articles", skip_last=True) > 0
    done = subprocess.run(
        [*run, "list", str(folder), "--json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "damaged" in done.stderr and "Traceback" not in done.stderr
    assert "state is kept apart" in done.stderr  # found in use, not at opening
    assert len(done.stdout.splitlines()) == 300
