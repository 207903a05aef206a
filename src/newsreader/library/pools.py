"""Process pools for the library's heavy work (parsing files, signing stories): one loop that
keeps a bounded window of tasks in flight and hands back results in order, and the start-up
every worker process does."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

log = logging.getLogger(__name__)

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: What a pool worker was given at start-up for every task (see :func:`map_ordered`). Set only
#: in pool worker processes, never in the process that owns the pool.
_shared: Any = None


def watch_parent(parent: int) -> None:
    """End this worker when the process that wanted its results is gone.

    Pool workers started by a forkserver are not its children, and nothing else tells any
    worker: after a ``kill -9`` of newsreader they would otherwise sit blocked on a pipe nobody
    reads, forever.
    """

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass  # alive, and some other user's: cannot happen for our parent, but harmless

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _start(parent: int, shared: Any) -> None:
    """Pool worker start-up: what every task shares, once, and an end when newsreader is gone."""
    global _shared
    _shared = shared
    watch_parent(parent)


def _call(function: Callable[[Any, T], R], task: T) -> R:
    """Run in a pool worker: one task, with what the worker was given at start-up."""
    return function(_shared, task)


def map_ordered(
    function: Callable[[S, T], R],
    shared: S,
    tasks: Iterable[T],
    *,
    workers: int,
    context: Callable[[], BaseContext],
    window: int,
) -> Iterator[R]:
    """``function(shared, task)`` for each task, in task order.

    With ``workers`` over 1 the tasks run in a pool (of processes started the way ``context()``
    says) with at most ``window`` in flight (which
    bounds the memory held by results not yet taken); ``shared`` goes to each worker once, at
    start-up, not with every task. If the pool cannot start or dies (a sandbox without
    semaphores, a worker killed by the OOM killer…), the tasks it has not answered run here.
    """
    tasks = iter(tasks)
    # Tasks sent and not yet answered, beside their futures: a task stays in ``sent`` until its
    # result is taken, so whatever a failed pool leaves unanswered is run here, in order.
    sent: deque[T] = deque()
    futures: deque[Future[R]] = deque()
    if workers > 1:
        try:
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context(),
                initializer=_start,
                initargs=(os.getpid(), shared),
            ) as pool:
                try:
                    for task in tasks:
                        sent.append(task)
                        futures.append(pool.submit(_call, function, task))
                        if len(futures) >= window:
                            yield _take(sent, futures)
                    while futures:
                        yield _take(sent, futures)
                finally:
                    for future in futures:
                        future.cancel()
            return
        except (OSError, BrokenProcessPool) as error:
            log.warning("working in one process: the worker pool failed (%s)", error)
    for task in sent:
        yield function(shared, task)
    for task in tasks:
        yield function(shared, task)


def _take(sent: deque[T], futures: deque[Future[R]]) -> R:
    """The oldest task's result, and both queues one shorter (only once it has come)."""
    result = futures[0].result()
    futures.popleft()
    sent.popleft()
    return result
