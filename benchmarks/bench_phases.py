"""Time the two phases of a cold index (issue 20) against the floor, in one run.

listed:  every article in the list, in its sort order, with titles, dates, sources and topics
         (the sync's first phase, up to the moment it starts cleaning bodies);
indexed: every article searchable, its related links resolved, its stories grouped (the whole
         sync);
polished: every body cleaned as the reader shows it (the sync, then Library.polish, which
         cleans fully the bodies the sync gave a rough text; see library/polish.py).
Then a no-change sync and a sync after 1% of the files changed. Each is printed in seconds and
as a ratio to the floor: a bare read-and-parse loop (read each file, parse its front matter
with PyYAML's C loader) in one process, measured in the same run. The load average is printed
with the figures, as other work on the machine moves them.

Run:  python benchmarks/bench_phases.py [-n 20000 100000] [--workers W] [--root /tmp] [--one-pass]

Each corpus is generated once into ROOT/nr-phases-N (benchmarks/gen_corpus.py) and reused; the
cache goes to a fresh temporary data dir each run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __name__ != "__mp_main__":  # a spawned worker re-running this script needs none of it
    import gen_corpus
    from bench_library import floor  # the same read-and-parse loop, measured the same way

    from newsreader.library.library import Library, View


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def tree_cpu() -> float:
    """CPU seconds of this process and its descendants, live or reaped: the pool's workers
    are the forkserver's children, and their time reaches its ``cutime`` when they end. A
    figure the machine's load does not inflate as it does wall time."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(name)] = int(fields[1])
            times[int(name)] = sum(int(f) for f in fields[11:15]) / tick
    tree, grew = {os.getpid()}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree}
        grew, tree = not more <= tree, tree | more
    return sum(times.get(pid, 0.0) for pid in tree)


def corpus(root: Path, n: int, seed: int = 1) -> Path:
    folder = root / f"nr-phases-{n}"
    marker = folder / ".generated"
    stamp = f"{n} {seed}"
    if not marker.exists() or marker.read_text() != stamp:
        log(f"generating {n} files into {folder} …")
        shutil.rmtree(folder, ignore_errors=True)
        gen_corpus.generate(folder, n, seed)
        marker.write_text(stamp)
    else:  # a previous run changed 1% of the files: put them back
        gen_corpus.generate(folder, n, seed)
    return folder


class Clock:
    """A sync's progress callback noting when the listed phase ended (the bodies began), how
    many articles the list held then (read through a connection of its own, its time not
    counted), and the CPU of each phase."""

    def __init__(self, cache: Path | None) -> None:
        self.cache = cache
        self.started = time.perf_counter()
        self.listed_at: float | None = None
        self.listed_count = 0
        self.uncounted = 0.0
        self.cpu = tree_cpu()
        self.listed_cpu = 0.0
        self.phase = ""
        self.phase_cpu: dict[str, float] = {}
        self._since = self.cpu

    def __call__(self, done: int, total: int, phase: str) -> None:
        if phase != self.phase:
            self.end()
            self.phase = phase
        if phase == "bodies" and self.listed_at is None:
            self.listed_at = time.perf_counter() - self.started - self.uncounted
            self.listed_cpu = tree_cpu() - self.cpu
            before = time.perf_counter()
            if self.cache is not None:
                with sqlite3.connect(self.cache) as conn:
                    self.listed_count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            self.uncounted += time.perf_counter() - before

    def end(self) -> None:
        """The CPU of the phase that ends (walking /proc only at a change of phase)."""
        now = tree_cpu()
        if self.phase:
            self.phase_cpu[self.phase] = self.phase_cpu.get(self.phase, 0.0) + now - self._since
        self._since = now


def run(n: int, root: Path, workers: int | None) -> list[str]:
    folder = corpus(root, n)
    data_dir = Path(tempfile.mkdtemp(prefix="nr-phases-data-"))
    out = [f"{n:,} files, {os.cpu_count()} cores; {load()} at the start"]
    log(f"{n}: floor …")
    floor(str(folder))  # warm the page cache: every measure below reads from memory
    cpu = time.process_time()
    base = floor(str(folder))
    base_cpu = time.process_time() - cpu
    out.append(
        f"  floor (read + CSafeLoader, 1 process)  {base:7.2f} s   1.00x; CPU {base_cpu:.2f} s"
    )

    def line(label: str, seconds: float, target: str) -> str:
        return f"  {label:38} {seconds:7.2f} s   {seconds / base:.2f}x  {target}"

    log(f"{n}: cold index …")
    library = Library.open(folder, data_dir)
    clock = Clock(library.cache_path)
    report = library.sync(progress=clock, workers=workers)
    clock.end()
    indexed = time.perf_counter() - clock.started - clock.uncounted
    cpu = tree_cpu() - clock.cpu
    polished = library.polish(progress=clock, workers=workers)
    clock.end()
    whole = time.perf_counter() - clock.started - clock.uncounted
    whole_cpu = tree_cpu() - clock.cpu
    final = library.count(View())
    if clock.listed_at is None:
        out.append("  (one pass: fewer files than bodies.TWO_PHASE_MIN)")
    else:
        out.append(line("listed", clock.listed_at, "(target <= 1.0x)"))
        out.append(
            f"    {clock.listed_count:,} articles listed; {final:,} in the end;"
            f" CPU of every process {clock.listed_cpu:.2f} s ="
            f" {clock.listed_cpu / base_cpu:.2f}x the floor's (2 cores: <= 2.0x to fit)"
        )
    out.append(line("indexed", indexed, "(target <= 2.0x)"))
    out.append(
        f"    CPU of every process {cpu:.2f} s = {cpu / base_cpu:.2f}x the floor's"
        f" (2 cores: <= 4.0x to fit); {load()}"
    )
    if polished.phase_seconds:
        out.append(line("polished (every body cleaned)", whole, "(no target)"))
        out.append(f"    CPU of every process {whole_cpu:.2f} s = {whole_cpu / base_cpu:.2f}x")
    seconds = {**report.phase_seconds, **polished.phase_seconds}
    phases = ", ".join(f"{k} {v:.2f}" for k, v in seconds.items())
    out.append(f"    {report.summary()}; phases (s): {phases}")
    spent = ", ".join(f"{k} {v:.2f}" for k, v in clock.phase_cpu.items())
    out.append(f"    CPU by phase (s, every process): {spent}")

    log(f"{n}: no-change sync …")
    started = time.perf_counter()
    library.sync(workers=workers)
    out.append(line("no-change sync", time.perf_counter() - started, "(target < 0.1x)"))

    log(f"{n}: 1% changed …")
    gen_corpus.change(folder, n, 0.01, 1)
    started = time.perf_counter()
    report = library.sync(workers=workers)
    out.append(line("sync after 1% changed", time.perf_counter() - started, "(target <= 0.2x)"))
    phases = ", ".join(f"{k} {v:.2f}" for k, v in report.phase_seconds.items())
    out.append(f"    {report.summary()}; phases (s): {phases}; {load()}")
    library.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument(
        "--one-pass", action="store_true", help="index in one pass, as before the two phases"
    )
    args = parser.parse_args(argv)
    if args.one_pass:
        from newsreader.library import bodies

        bodies.TWO_PHASE_MIN = 2**62
    out = ["newsreader two-phase index benchmark"]
    for n in args.n:
        out += run(n, args.root, args.workers)
        print("\n".join(out), flush=True)
        out = []
    return 0


if __name__ == "__main__":
    sys.exit(main())
