"""Files: binary, empty, huge, FIFOs, devices, symlink loops, unreadable and vanishing files.

Anything that could block (a FIFO, /dev/zero) is loaded in a child process with a timeout, so a
regression fails the test instead of hanging the run."""

from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path

import pytest

from hostile_support import load, load_isolated, write
from newsreader.ingest import decode
from newsreader.ingest.discover import walk
from newsreader.ingest.load import load_file
from newsreader.library.library import Library, View
from newsreader.model import Article, Problem

ARTICLE = "---\ntitle: A real article\n---\nWith a body paragraph that is long enough.\n"
PARAGRAPH = (
    "The committee published its findings on Thursday, concluding that the project had run "
    "over budget because of poor planning and repeated changes to its scope.\n\n"
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types")


def problem(path: Path | str, *words: str) -> Problem:
    result = load_file(str(path))
    assert isinstance(result, Problem), result
    for word in words:
        assert word in result.reason, result.reason
    return result


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 40,
        os.urandom(50_000),
        b"\x00" * 4096,
        b"PK\x03\x04" + os.urandom(1000),
        b"%PDF-1.7\n" + os.urandom(1000),
        b"SQLite format 3\x00" + bytes(1000),
        b"\x1f\x8b\x08" + os.urandom(1000),
    ],
    ids=["all-bytes", "random", "zeros", "zip", "pdf", "sqlite", "gzip"],
)
def test_binary_files(data: bytes, tmp_path: Path) -> None:
    result = load(write(tmp_path, "data.txt", data))
    assert isinstance(result, Problem)


@pytest.mark.parametrize("data", [b"", b" ", b"\n\n\n", b"\t \r\n", "\ufeff".encode()])
def test_empty_files(data: bytes, tmp_path: Path) -> None:
    result = load(write(tmp_path, "empty.md", data))
    assert isinstance(result, Problem)


def test_bom_only_files(tmp_path: Path) -> None:
    for i, bom in enumerate([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"]):
        assert isinstance(load(write(tmp_path, f"bom{i}.md", bom)), Problem)


@pytest.mark.parametrize("suffix", ["txt", "html", "md"])
def test_30_mb_file_is_capped_and_fast(suffix: str, tmp_path: Path) -> None:
    if suffix == "html":
        unit = f"<p>{PARAGRAPH}</p>\n"
        head = "<html><head><title>A very large page</title></head><body>"
    elif suffix == "md":
        unit, head = PARAGRAPH, "---\ntitle: A very large file\n---\n"
    else:
        unit, head = PARAGRAPH, "A very large file\n\n"
    data = (head + unit * (30_000_000 // len(unit))).encode()
    assert len(data) > 29_000_000
    path = write(tmp_path, f"big.{suffix}", data)
    started = time.process_time()  # CPU time: parallel workers don't slow it
    result = load(path)
    elapsed = time.process_time() - started
    assert isinstance(result, Article), result
    assert elapsed < 10, f"{elapsed:.1f} s"
    assert len(result.body) <= 1_000_000


def test_read_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        sizes.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", counting_read)
    path = write(tmp_path, "big.txt", b"x" * (5 * decode.MAX_BYTES))
    assert isinstance(load_file(str(path)), Problem)  # one 4 MB word is no article
    assert sum(sizes) <= decode.MAX_BYTES


@posix_only
def test_fifo_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    result = load_isolated(fifo, timeout=10)
    assert result["type"] == "Problem" and "FIFO" in result["reason"], result


@posix_only
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_symlink_to_a_device_never_blocks(device: str, tmp_path: Path) -> None:
    link = tmp_path / "zero.md"
    link.symlink_to(device)
    result = load_isolated(link, timeout=10)
    assert result["type"] == "Problem" and "not a regular file" in result["reason"], result


@posix_only
def test_directory_and_dangling_symlink(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    problem(tmp_path / "folder.md", "directory")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    problem(tmp_path / "dangling.md", "unreadable")


@posix_only
def test_symlink_loops_in_walk(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    write(root, "a/b/story.md", ARTICLE)
    (root / "a" / "b" / "up").symlink_to(root)  # a loop back to the top
    (root / "a" / "self").symlink_to(root / "a")
    (root / "loop1.md").symlink_to(root / "loop2.md")  # a file symlink loop
    (root / "loop2.md").symlink_to(root / "loop1.md")
    (root / "me.md").symlink_to(root / "me.md")
    (root / "file-link.md").symlink_to(root / "a" / "b" / "story.md")
    started = time.perf_counter()
    found = sorted(os.path.relpath(entry.path, root) for entry in walk(str(root)))
    assert time.perf_counter() - started < 5
    assert found == ["a/b/story.md", "file-link.md"]
    for name in ("loop1.md", "me.md"):
        problem(root / name, "unreadable")


@posix_only
def test_walk_skips_fifos_and_devices(tmp_path: Path) -> None:
    write(tmp_path, "real.md", ARTICLE)
    os.mkfifo(tmp_path / "pipe.md")
    if Path("/dev/zero").exists():
        (tmp_path / "zero.md").symlink_to("/dev/zero")
    assert [Path(e.path).name for e in walk(str(tmp_path))] == ["real.md"]


@posix_only
def test_what_the_walk_passes_over_is_listed_with_its_reason(
    tmp_path: Path, data_dir: Path
) -> None:
    folder = tmp_path / "folder"
    (folder / "real").mkdir(parents=True)
    write(folder, "real/story.md", ARTICLE)
    os.mkfifo(folder / "pipe.md")
    (folder / "zero.md").symlink_to("/dev/zero")
    (folder / "loop1.md").symlink_to(folder / "loop2.md")
    (folder / "loop2.md").symlink_to(folder / "loop1.md")
    (folder / "dangling.md").symlink_to(folder / "nowhere.md")
    (folder / "linked").symlink_to(folder / "real")
    library = Library.open(folder, data_dir)
    started = time.perf_counter()
    report = library.sync(workers=1)
    assert time.perf_counter() - started < 10  # nothing blocked on the FIFO or /dev/zero
    assert report.added == 1 and report.skipped == 6
    reasons = {Path(p.path).name: p.reason for p in library.problems()}
    assert reasons == {
        "pipe.md": "not a file: a FIFO (named pipe)",
        "zero.md": "not a file: a device",
        "loop1.md": "not a file: a symlink loop",
        "loop2.md": "not a file: a symlink loop",
        "dangling.md": "not a file: a broken symlink",
        "linked": "not a file: a symlink to a folder, not followed",
    }
    again = library.sync(workers=1)  # listed once, not again on every sync
    assert (again.skipped, again.removed, again.unchanged) == (0, 0, 1)
    (folder / "pipe.md").unlink()
    write(folder, "pipe.md", ARTICLE.replace("A real article", "Another article"))
    third = library.sync(workers=1)
    assert library.count(View()) == 2 and third.skipped == 0
    assert "pipe.md" not in {Path(p.path).name for p in library.problems()}


@posix_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_with_chmod(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.md", ARTICLE)
    path.chmod(0)
    try:
        problem(path, "unreadable", "ermission")
    finally:
        path.chmod(0o644)


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as the chmod test, for a root user: the open fails with EACCES."""
    path = write(tmp_path, "secret.md", ARTICLE)
    real_open = os.open

    def denied(file: str, flags: int, *args: int) -> int:
        if os.fspath(file) == str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", denied)
    problem(path, "unreadable", "Permission denied")


def test_read_error_midway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "flaky.md", ARTICLE)

    def failing_read(fd: int, n: int) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "read", failing_read)
    problem(path, "unreadable")


def test_file_deleted_between_walk_and_read(tmp_path: Path) -> None:
    for i in range(3):
        write(tmp_path, f"a{i}.md", ARTICLE)
    entries = list(walk(str(tmp_path)))
    Path(entries[1].path).unlink()
    results = [load_file(entry.path) for entry in entries]
    assert [type(r).__name__ for r in results] == ["Article", "Problem", "Article"]
    assert isinstance(results[1], Problem) and "No such file" in results[1].reason


def test_file_changed_between_walk_and_read(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", ARTICLE)
    [entry] = list(walk(str(tmp_path)))
    path.write_bytes(os.urandom(5000))  # now binary
    assert isinstance(load_file(entry.path), Problem)
    path.write_bytes(b"")  # now empty
    assert isinstance(load_file(entry.path), Problem)
    path.write_text(ARTICLE.replace("A real", "Another"))
    result = load_file(entry.path)
    assert isinstance(result, Article) and result.title == "Another article"


def test_hostile_folder_loads_completely(tmp_path: Path) -> None:
    """A folder with one of everything: every file gives an Article or a Problem."""
    write(tmp_path, "good.md", ARTICLE)
    write(tmp_path, "binary.md", os.urandom(4000))
    write(tmp_path, "empty.md", b"")
    write(tmp_path, "bad-yaml.md", "---\ntitle: [\n---\n")
    write(tmp_path, "deep.md", "---\nx: " + "[" * 100_000 + "\n---\n")
    write(tmp_path, "sub/dir/html.txt", f"<html><title>Nested file</title><p>{PARAGRAPH}</p>")
    if sys.platform != "win32":
        os.mkfifo(tmp_path / "fifo.md")
        (tmp_path / "loop").symlink_to(tmp_path)
    results = {Path(e.path).name: load_file(e.path) for e in walk(str(tmp_path))}
    assert set(results) == {
        "good.md",
        "binary.md",
        "empty.md",
        "bad-yaml.md",
        "deep.md",
        "html.txt",
    }
    articles = {name for name, r in results.items() if isinstance(r, Article)}
    assert articles == {"good.md", "html.txt"}
