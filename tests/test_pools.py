"""The library's one process-pool loop: results in task order, a bounded window, shared data
sent once to each worker, and the work done here when no pool can start."""

from __future__ import annotations

import multiprocessing
import operator
from collections.abc import Iterator
from multiprocessing.context import BaseContext

from newsreader.library import pools


def _spawn() -> BaseContext:
    return multiprocessing.get_context("spawn")


def test_a_pool_answers_in_task_order() -> None:
    # operator.add(shared, task): the shared value reaches every worker.
    results = pools.map_ordered(
        operator.add, 100, iter(range(30)), workers=2, context=_spawn, window=3
    )
    assert list(results) == [100 + n for n in range(30)]
    assert pools._shared is None  # set in the workers only, never in this process


def test_no_pool_means_the_work_is_done_here() -> None:
    def no_pool() -> BaseContext:
        raise OSError("no semaphores here")

    taken: list[int] = []

    def tasks() -> Iterator[int]:
        for n in range(10):
            taken.append(n)
            yield n

    results = pools.map_ordered(
        operator.mul,
        3,
        tasks(),
        workers=2,
        context=no_pool,
        window=4,
    )
    assert list(results) == [3 * n for n in range(10)]
    assert taken == list(range(10))  # each task read once


def test_one_worker_works_here_without_a_pool() -> None:
    def never() -> BaseContext:
        raise AssertionError("no pool for one worker")

    assert list(pools.map_ordered(operator.sub, 1, [5, 6], workers=1, context=never, window=1)) == [
        -4,
        -5,
    ]
