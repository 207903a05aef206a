"""The parse pool under stress (issue 16 items 4, 5): a file that never finishes is skipped as
"took too long" without holding back its batch, and no worker outlives newsreader, even one
stuck in a regex that holds the GIL.

The real regex hangs are fixed in ingest, so a slow file is simulated: a parser patched to run a
catastrophic regex (``(a+)+$`` on ``a…ab``: exponential, in C, holding the GIL) on files whose
name says ``slow``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from multiprocessing import resource_tracker
from multiprocessing.context import BaseContext
from pathlib import Path

import pytest

from newsreader.library import parsing, pools
from newsreader.library.library import Library, View
from newsreader.model import Article, Problem
from proc_support import children, descendants, session

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or not hasattr(signal, "setitimer"),
    reason="needs /proc and interval timers",
)


def hang() -> None:
    """Backtracks for longer than any test runs, inside one C call."""
    re.match(r"(a+)+$", "a" * 64 + "b")


def _write(folder: Path, good: int, slow: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(good):
        (folder / f"good-{i:04d}.md").write_text(
            f"---\ntitle: Good {i}\noriginalUrl: https://example.org/{i}\n---\n\nBody {i}.\n"
        )
    for i in range(slow):
        # spread through the folder so every batch and chunk order is mixed
        (folder / f"good-{i * 97:04d}-slow.md").write_text("# a slow one\n")


def test_a_file_that_never_finishes_is_skipped_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = parsing.load_file

    def load(path: str) -> Article | Problem:
        if "slow" in path:
            hang()
        return real(path)

    monkeypatch.setattr(parsing, "load_file", load)
    found = parsing.parse_file(str(tmp_path / "x-slow.md"), time_limit=0.3)
    assert isinstance(found, Problem) and found.reason.startswith("took too long")


def test_stress_pathological_files_among_a_thousand_good_ones(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mixed"
    _write(folder, good=1000, slow=5)
    real = parsing.load_file

    def load(path: str) -> Article | Problem:
        if path.endswith("-slow.md"):
            hang()
        return real(path)

    def fork() -> BaseContext:  # the workers inherit the patched parser
        return multiprocessing.get_context("fork")

    monkeypatch.setattr(parsing, "load_file", load)
    monkeypatch.setattr(parsing, "pool_context", fork)
    monkeypatch.setattr(parsing, "FILE_TIME_LIMIT", 1.0)
    library = Library.open(folder, data_dir)
    # A forkserver an earlier test in this process started lives on; it is not this sync's.
    # Nor is the resource tracker, which the pool's first lock starts if nothing has yet (in a
    # fresh test process it did, and outlived the sync as it should).
    resource_tracker.ensure_running()
    before = set(descendants(os.getpid()))
    started = time.monotonic()
    report = library.sync(workers=2)
    took = time.monotonic() - started
    assert report.added == 1000 and report.skipped == 5, report.summary()
    # five files of a second each over two workers, plus parsing: a hang takes for ever
    assert took < 120, took
    assert library.count(View()) == 1000
    problems = library.problems()
    assert [p.path.endswith("-slow.md") for p in problems] == [True] * 5
    assert all(p.reason.startswith("took too long") for p in problems)
    library.close()
    assert set(descendants(os.getpid())) - before == set()


#: Syncs a folder whose files all hang, through the real forkserver (its preload patches the
#: parser), with no time limit, so the workers are stuck in C when the parent is killed.
STUCK = textwrap.dedent(
    """
    import multiprocessing, sys
    from newsreader.library import parsing
    from newsreader.library.library import Library

    def context():
        ctx = multiprocessing.get_context(sys.argv[3])
        if sys.argv[3] == "forkserver":
            ctx.set_forkserver_preload(["slowpatch"])
        else:
            import slowpatch
        return ctx

    parsing.pool_context = context
    parsing.FILE_TIME_LIMIT = 0  # no limit: stuck for good
    library = Library.open(sys.argv[1], sys.argv[2])
    print("syncing", flush=True)
    library.sync(workers=2)
    """
)
SLOWPATCH = textwrap.dedent(
    """
    import re, sys
    from newsreader.library import parsing

    def load(path):
        # One write: two workers' lines must not interleave on the shared pipe.
        sys.stderr.write(f"stuck {path}\\n")
        sys.stderr.flush()
        re.match(r"(a+)+$", "a" * 64 + "b")

    parsing.load_file = load
    """
)


@pytest.mark.parametrize("start", ["forkserver", "fork"])
def test_kill_9_leaves_no_stuck_worker(tmp_path: Path, data_dir: Path, start: str) -> None:
    folder = tmp_path / "stuck"
    _write(folder, good=100, slow=0)
    (tmp_path / "slowpatch.py").write_text(SLOWPATCH)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    child = subprocess.Popen(
        [sys.executable, "-c", STUCK, str(folder), str(data_dir), start],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.readline() == "syncing\n"
        for _ in range(2):  # both workers are stuck in the regex
            assert child.stderr.readline().startswith("stuck"), "no worker got stuck"
        assert len(descendants(child.pid)) >= 2
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        deadline = time.monotonic() + 30
        while session(child.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session(child.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)


def test_stop_all_ends_a_sync_stuck_in_its_workers(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What quitting the reader mid-sync does: the workers are killed and the sync ends."""
    import threading

    folder = tmp_path / "stuck"
    _write(folder, good=100, slow=0)

    def load(path: str) -> Article | Problem:
        hang()
        raise AssertionError("unreachable")

    def fork() -> BaseContext:
        return multiprocessing.get_context("fork")

    monkeypatch.setattr(parsing, "load_file", load)
    monkeypatch.setattr(parsing, "pool_context", fork)
    monkeypatch.setattr(parsing, "FILE_TIME_LIMIT", 0)
    library = Library.open(folder, data_dir)
    outcome: list[BaseException] = []
    # A forkserver an earlier test in this process started lives on; it is not this sync's.
    # Nor is the resource tracker, which the pool's first lock starts if nothing has yet (in a
    # fresh test process it did, and outlived the sync as it should).
    resource_tracker.ensure_running()
    before = set(descendants(os.getpid()))

    def run() -> None:
        try:
            library.sync(workers=2)
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    # Forked workers run our own command line; a resource tracker started meanwhile does not.
    own = Path(f"/proc/{os.getpid()}/cmdline").read_bytes()

    def workers() -> set[int]:
        found = set()
        for pid in set(children(os.getpid())) - before:
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/cmdline").read_bytes() == own:
                    found.add(pid)
        return found

    while len(workers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pools.stop_all() == 2
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], pools.Stopped), outcome
    # A killed worker is gone once reaped, which can lag the sync's end on a loaded machine.
    left = set(descendants(os.getpid())) - before
    settle = time.monotonic() + 10
    while left and time.monotonic() < settle:
        time.sleep(0.1)
        left = set(descendants(os.getpid())) - before
    assert left == set(), {pid: _status(pid) for pid in left}
    library.close()


def _status(pid: int) -> str:
    """A process's state and command line, for a failure message."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    return f"{state} {cmdline[:200]}"
