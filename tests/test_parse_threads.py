"""The parse path from threads: a native crash there kills the whole app without a word.

yaml-rs segfaulted when it was first imported in a worker thread and then called from threads
started after that one ended (a thread-local of the extension is left dangling). The parse runs
in a subprocess here, so a crash is a failed test, not a dead test runner.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import SEEDS

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from newsreader.ingest.load import load_bytes
    from newsreader.model import Article

    files = [(p, p.read_bytes()) for p in sorted(Path(sys.argv[1]).iterdir())]
    failures = []

    def parse(rounds):
        for _ in range(rounds):
            for path, data in files:
                if not isinstance(load_bytes(data, str(path)), Article):
                    failures.append(path.name)

    # Threads that end before the next start (as the TUI's sync and reader workers do), then
    # several at once, many times over.
    for _ in range(60):
        worker = threading.Thread(target=parse, args=(2,))
        worker.start()
        worker.join()
    for _ in range(10):
        group = [threading.Thread(target=parse, args=(3,)) for _ in range(4)]
        for worker in group:
            worker.start()
        for worker in group:
            worker.join()
    print(len(failures), "failures")
    """
)


def test_parsing_from_many_threads_does_not_crash() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(SEEDS)], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0 failures"
