"""What every worker process of newsreader does at start-up."""

from __future__ import annotations

import os
import threading
import time


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
