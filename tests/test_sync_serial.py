"""Syncs of one library in one process run one at a time (r pressed during the startup sync, a
fetch's sync, fetch_every): two at once parsed every changed file twice and, with the two-phase
index, could clear a body the other had just cleaned. After stop_sync (quitting), a sync that
was waiting its turn does nothing, so the process can exit."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import newsreader.library.sync as syncmod
from conftest import SEEDS
from newsreader.library.library import Library


def test_two_syncs_at_once_run_one_after_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(SEEDS, tmp_path / "data")
    real = syncmod.sync_store
    active, most = [0], [0]
    guard = threading.Lock()

    def counting(*args: object, **kwargs: object) -> object:
        with guard:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            time.sleep(0.3)
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with guard:
                active[0] -= 1

    monkeypatch.setattr(syncmod, "sync_store", counting)
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(lib.sync(workers=1))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert most[0] == 1
    assert sorted(r.added for r in reports) == [0, 5]  # the second found the work done
    lib.close()


def test_a_sync_waiting_its_turn_does_nothing_after_stop_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(SEEDS, tmp_path / "data")
    turn = WatchedLock()
    lib._sync_turn = turn  # type: ignore[assignment]
    real = syncmod.sync_store
    entered, go = threading.Event(), threading.Event()
    calls = []

    def held(*args: object, **kwargs: object) -> object:
        calls.append(1)
        entered.set()
        go.wait(30)  # the first sync runs until the test lets it go on
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(syncmod, "sync_store", held)
    first = threading.Thread(target=lambda: lib.sync(workers=1))
    first.start()
    assert entered.wait(10)
    second_report = []
    second = threading.Thread(target=lambda: second_report.append(lib.sync(workers=1)))
    second.start()
    assert turn.waiting.wait(10)  # the second sync waits its turn
    lib.stop_sync()  # quitting
    go.set()
    first.join(60)
    second.join(60)
    assert not second.is_alive() and len(calls) == 1
    assert second_report and second_report[0].added == 0
    lib.close()


class WatchedLock:
    """A lock that says when a thread has to wait for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = threading.Event()

    def __enter__(self) -> None:
        if not self.lock.acquire(blocking=False):
            self.waiting.set()
            self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_a_sync_started_after_stop_sync_runs(tmp_path: Path) -> None:
    lib = Library.open(SEEDS, tmp_path / "data")
    lib.stop_sync()  # e.g. a reader on this library quit
    assert lib.sync(workers=1).added == 5
    lib.close()
