"""Process pools for the library's heavy work (parsing files, signing stories): one loop that
keeps a bounded window of tasks in flight and hands back results in order, the start-up every
worker process does (it dies with newsreader, whatever it is doing), a time limit for one
piece of work, and a stop for the pools of a session that is quitting."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from types import FrameType
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


#: prctl(2) option: the signal this process gets when its parent ends.
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> bool:
    """Have the kernel kill this process (SIGKILL) when its parent ends: unlike
    :func:`watch_parent` this needs nothing from the worker, so it also ends one stuck in C code
    that holds the GIL (a runaway regex), where no Python thread ever runs again. Linux only;
    returns whether it is in place. A forkserver's worker is the forkserver's child, and the
    forkserver ends as soon as newsreader does (its pipe closes), so the chain holds."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    # newsreader may have ended before the prctl: then nobody would send the signal
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        os._exit(1)
    except PermissionError:
        pass
    return True


def _start(parent: int, shared: Any, nice: int = 0) -> None:
    """Pool worker start-up: what every task shares, once, its priority, and an end when
    newsreader is gone (the kernel's where it can, and a watching thread everywhere, for other
    systems)."""
    global _shared
    _shared = shared
    if nice and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(nice)
    _let_go_of_forkserver()
    die_with_parent(parent)
    watch_parent(parent)


def _let_go_of_forkserver() -> None:
    """Close this worker's copy of the forkserver's "alive" pipe.

    A forkserver ends when every process holding that pipe's write end has, its own workers
    included (they inherit it so that they could start processes too). A worker stuck in C
    would then keep the forkserver alive after newsreader is killed, and the forkserver's end
    is what kills the worker (:func:`die_with_parent`): each would wait for the other for ever.
    A parse worker starts no processes, so it lets go. (The attribute is multiprocessing's own,
    set in every process the forkserver starts; where it is missing there is nothing to do.)
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


class TookTooLong(BaseException):
    """Raised inside work that ran past its :func:`time_limit`. A BaseException, so that the
    ``except Exception`` of the code it interrupts (a parser that turns errors into a problem)
    does not swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the block with :class:`TookTooLong` after ``seconds``.

    A timer signal (SIGALRM) is used: Python runs its handler between bytecodes and also in
    the middle of a long ``re`` match, which checks for signals as it goes, so a runaway regex
    is stopped too. Signals reach the main thread only, so elsewhere (a parse in one of the
    TUI's threads) and where there are no timers there is no limit; in a pool worker, where the
    heavy work happens, there always is.
    """
    if (
        not seconds
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise TookTooLong

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Stopped(Exception):
    """The pool was stopped by :func:`stop_all` (the session is quitting)."""


#: Pools at work in this process, and those :func:`stop_all` has stopped.
_live: set[ProcessPoolExecutor] = set()
_stopped: set[ProcessPoolExecutor] = set()
_live_lock = threading.Lock()


def stop_all() -> int:
    """Kill the workers of every pool at work in this process; their loops raise
    :class:`Stopped`. For quitting during a sync: otherwise the interpreter's exit waits for
    every task in flight to finish. Returns how many workers were killed."""
    with _live_lock:
        pools = list(_live)
        _stopped.update(pools)
    killed = 0
    for pool in pools:
        # No public way to reach a pool's processes before Python 3.14's terminate_workers();
        # without one, shutdown() waits for the tasks in flight.
        processes = dict(getattr(pool, "_processes", None) or {})
        for process in processes.values():
            with contextlib.suppress(OSError, ValueError, AttributeError):
                process.kill()
                killed += 1
        pool.shutdown(wait=False, cancel_futures=True)
    return killed


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
    nice: int = 0,
) -> Iterator[R]:
    """``function(shared, task)`` for each task, in task order.

    With ``workers`` over 1 the tasks run in a pool (of processes started the way ``context()``
    says) with at most ``window`` in flight (which
    bounds the memory held by results not yet taken); ``shared`` goes to each worker once, at
    start-up, not with every task. If the pool cannot start or dies (a sandbox without
    semaphores, a worker killed by the OOM killer…), the tasks it has not answered run here.
    ``nice`` lowers the workers' priority (work that may wait for the rest of the machine).
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
                initargs=(os.getpid(), shared, nice),
            ) as pool:
                with _live_lock:
                    _live.add(pool)
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
                    with _live_lock:
                        _live.discard(pool)
                        stopped = pool in _stopped
                        _stopped.discard(pool)
                    if stopped:
                        raise Stopped("stopped: newsreader is quitting")
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
