"""Time the library on a generated folder: cold index, no-change and 1%-changed syncs, search,
paging and peak memory, each beside the floor (a bare read-and-YAML-parse loop, one process).

Run:  python benchmarks/bench_library.py [-n 100000] [--dir DIR] [--workers W]
      python benchmarks/bench_library.py --dir DIR --cli-only DATA_DIR   (a folder already
      indexed into DATA_DIR: only the CLI wall times and the no-change sync)
      python benchmarks/bench_library.py --dir DIR --search-only DATA_DIR [--old-src OLD/src]
      (only search and paging, by query shape; with --old-src, that older src/ too, each in
      its own process, in turns, in the same run)

The corpus is generated once into DIR (default ``$TMPDIR/newsreader-bench-N``) and reused; the
cache goes to a fresh temporary data dir each run. Figures go to stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __name__ != "__mp_main__":
    # A spawned pool worker (the stories' signers) runs this script again as __mp_main__: it
    # needs none of the ingest stack, and importing it would add ~40 MB to each such worker
    # that the real command line's workers do not carry (newsreader's CLI imports lazily).
    import gen_corpus

    from newsreader.cli import SEARCH_LIMIT
    from newsreader.ingest import load
    from newsreader.ingest.discover import walk
    from newsreader.library.library import Library, View


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def floor(folder: str) -> float:
    """Read every file and parse its front matter with the C YAML loader, in one process."""
    started = time.perf_counter()
    for entry in walk(folder):
        with open(entry.path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
        if text.startswith("---"):
            end = text.find("\n---", 3)
            if end > 0:
                try:
                    yaml.load(text[3:end], Loader=yaml.CSafeLoader)  # noqa: S506
                except yaml.YAMLError:
                    pass
    return time.perf_counter() - started


def parse_costs(folder: str, n: int, seed: int, sample: int = 1500) -> list[str]:
    """Per-kind cost of load_file, with and without the cleaning step."""
    corpus = gen_corpus.Corpus(n, seed)
    rng = random.Random(7)
    picks = rng.sample(range(n), min(sample, n))
    from newsreader.ingest import clean as cleaning  # load imports it at each parse

    lines = []
    real = cleaning.clean, cleaning.clean_page
    totals: dict[str, list[float]] = {}
    for label, (clean, clean_page) in (
        ("with clean", real),
        ("clean skipped", (_no_clean, _no_clean_page)),
    ):
        cleaning.clean, cleaning.clean_page = clean, clean_page  # type: ignore[assignment]
        spent: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for i in picks:
            path = os.path.join(folder, gen_corpus.relpath(i))
            started = time.perf_counter()
            load.load_file(path)
            spent[corpus.kinds[i]] += time.perf_counter() - started
            count[corpus.kinds[i]] += 1
        totals[label] = [sum(spent.values())]
        lines.append(
            f"  load_file {label:13}: "
            + ", ".join(f"{k} {1000 * spent[k] / count[k]:.2f}" for k in sorted(spent))
            + f"  (ms/file); mean {1000 * sum(spent.values()) / len(picks):.2f} ms/file"
        )
    cleaning.clean, cleaning.clean_page = real  # type: ignore[assignment]
    share = 1 - totals["clean skipped"][0] / totals["with clean"][0]
    lines.append(f"  cleaning is {100 * share:.0f}% of load_file time on this mix")
    return lines


def _no_clean(raw: str, kind: str, *, title: str = "", excerpt: str = "") -> str:
    return raw


def _no_clean_page(html: str, *, excerpt: str = "", dated: bool = False) -> tuple[str, str, str]:
    """An HTML page's (title, body, date) with none looked for: the page is not even parsed."""
    return "", html, ""


#: The sampler runs in its own process: a thread here would take the GIL from the writer ten
#: times a second (reading /proc is Python work), and the writer is what a sync waits on.
_SAMPLER = """
import json, os, select, sys
me, peaks = int(sys.argv[1]), {"worker": 0, "total": 0, "total_pss": 0}
def read(pid, name, key):
    try:
        with open(f"/proc/{pid}/{name}") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
while not select.select([sys.stdin], [], [], 0.1)[0]:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as handle:
                    parents[int(name)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, grew = {me}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree and p != os.getpid()}
        grew, tree = not more <= tree, tree | more
    workers = [read(p, "status", "VmRSS") for p in tree - {me}]
    peaks["worker"] = max([peaks["worker"], *workers])
    peaks["total"] = max(peaks["total"], read(me, "status", "VmRSS") + sum(workers))
    pss = sum(read(p, "smaps_rollup", "Pss:") for p in tree)
    peaks["total_pss"] = max(peaks["total_pss"], pss)
print(json.dumps(peaks))
"""


class RssSampler:
    """Peak RSS of this process and of its descendants (the pools' workers), sampled from
    another process; and the peak of their PSS, which counts a page shared by several of them
    (the forkserver's preloaded modules) once, split between them."""

    def __init__(self) -> None:
        self.worker_peak = self.total_peak = self.total_pss_peak = 0

    def __enter__(self) -> RssSampler:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SAMPLER, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self._process.communicate("stop\n")
        peaks = json.loads(out)
        self.worker_peak, self.total_peak = peaks["worker"], peaks["total"]
        self.total_pss_peak = peaks["total_pss"]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def queries(n: int) -> list[str]:
    """100 queries of every shape the syntax allows, deterministic."""
    rng = random.Random(3)
    words = gen_corpus.WORDS
    out: list[str] = []
    while len(out) < n:
        a, b, c = rng.sample(words, 3)
        shape = len(out) % 10
        out.append(
            [
                a,
                f"{a} {b}",
                f'"{a} {b}"',
                f"{a} OR {b}",
                f"{a} -{b}",
                f"topic:{rng.choice(gen_corpus.TOPICS).split()[0]} {a}",
                f"source:{rng.choice(gen_corpus.PROVIDERS)[1].split('.')[0]} {a}",
                f"{a} is:unread",
                f"{a} {b} {c} after:2020-01-01",
                f"{a[:4]}",
            ][shape]
        )
    return out


def _cli_search(library: Library, view: View) -> list[int]:
    """What ``newsreader search`` does before printing: every hit ranked, the best shown."""
    ranked = library.rowids(view)
    library.rows(ranked[:SEARCH_LIMIT], view.query)
    return ranked


def cli_times(folder: Path, data_dir: Path, runs: int = 3) -> list[str]:
    """Wall time of the installed command on a cached folder (startup included), best of
    ``runs``, each beside ``newsreader --version`` (the start of Python and the CLI) and, for
    the no-change sync, beside the full per-file comparison it replaces, in the same run."""
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir)}
    exe = [sys.executable, "-m", "newsreader"]

    def best(*args: str) -> tuple[float, float, float]:
        walls, firsts, cpus = [], [], []
        for _ in range(runs):
            before = os.times()
            started = time.perf_counter()
            with subprocess.Popen(
                [*exe, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            ) as proc:
                assert proc.stdout is not None
                proc.stdout.readline()
                firsts.append(time.perf_counter() - started)
                for _line in proc.stdout:
                    pass
            walls.append(time.perf_counter() - started)
            after = os.times()
            cpus.append(
                after.children_user
                - before.children_user
                + after.children_system
                - before.children_system
            )
        return min(walls), min(firsts), min(cpus)

    start, _, start_cpu = best("--version")
    out = [
        f"CLI wall times, startup included (best of {runs}); newsreader --version {start:.2f} s"
        f" (CPU {start_cpu:.2f} s), load {os.getloadavg()[0]:.1f}:"
    ]
    d = str(folder)
    for args in (
        ("list", d),
        ("list", d, "--no-sync"),
        ("list", d, "--json"),
        ("list", d, "--json", "--no-sync"),
        ("search", d, "police"),
        ("search", d, "police", "--no-sync"),
        ("search", d, "police", "--json", "--no-sync"),
        ("stories", d, "--no-sync"),
    ):
        wall, first, cpu = best(*args)
        label = " ".join(a if a != d else "DIR" for a in args)
        out.append(
            f"  {label:38} {wall:6.2f} s ({wall / start:4.1f}x startup), first line {first:.2f} s,"
            f" CPU {cpu:.2f} s"
        )
    return out


def sync_compare(library: Library) -> str:
    """The no-change sync (one pass, ``freshness``) against the per-file comparison it skips."""
    from newsreader.library import freshness

    fast = min(timed(library.sync)[0] for _ in range(3))
    real = freshness.unchanged
    freshness.unchanged = lambda *_args: None  # type: ignore[assignment]
    try:
        slow = min(timed(library.sync)[0] for _ in range(3))
    finally:
        freshness.unchanged = real
    bare = min(timed(lambda: sum(1 for _ in walk(library.folder)))[0] for _ in range(3))
    return (
        f"no-change sync: one pass {fast:.3f} s, per-file comparison {slow:.3f} s"
        f" ({slow / fast:.1f}x); discover.walk alone {bare:.3f} s"
    )


#: The shape of each query ``queries`` makes, by its position modulo 10.
SHAPES = ("a", "a b", '"a b"', "a OR b", "a -b", "topic:", "source:", "is:unread", "after:", "pref")


def search_figures(library: Library, rounds: int = 3) -> dict[str, list[float]]:
    """Milliseconds of each search the reader runs (ranked rowids + the first 200 rows), by
    query shape, and of paging through a search 200 rows at a time; ``rounds`` passes."""
    out: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for number, q in enumerate(queries(100)):
            view = View(query=q)
            cpu = time.process_time()
            seconds, _ = timed(lambda v=view: library.rows(library.rowids(v)[:200]))
            cpu = time.process_time() - cpu
            out[SHAPES[number % 10]].append(seconds * 1000)
            out["all"].append(seconds * 1000)
            # CPU too: on a loaded machine wall time is several times the work (load 15 on
            # 2 cores: 5-10x), while CPU time moves much less.
            out[f"CPU {SHAPES[number % 10]}"].append(cpu * 1000)
            out["CPU all"].append(cpu * 1000)
        for q in ("police", "police after:2020-01-01", "source:nypost police"):
            view = View(query=q)
            n = library.count(view)
            for offset in range(0, min(n, 2000), 200):
                seconds, _ = timed(lambda v=view, o=offset: library.page(v, o, 200))
                out[f"page: {q}"].append(seconds * 1000)
    return out


def search_only(folder: Path, data_dir: Path, old_src: Path | None) -> None:
    """Search figures of this checkout and, with ``old_src``, of an older one, in turns."""
    if os.environ.get("BENCH_SEARCH_CHILD"):
        library = Library.open(folder, data_dir)
        print(json.dumps(search_figures(library)))
        return
    variants = {"this checkout": None, **({f"old ({old_src})": old_src} if old_src else {})}
    figures: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name in variants}
    for turn in range(2):
        for name, src in list(variants.items())[:: 1 if turn == 0 else -1]:
            env = {**os.environ, "BENCH_SEARCH_CHILD": "1"}
            if src is not None:
                env["PYTHONPATH"] = str(src)
            done = subprocess.run(
                [sys.executable, __file__, "--dir", str(folder), "--search-only", str(data_dir)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            for key, values in json.loads(done.stdout.splitlines()[-1]).items():
                figures[name][key] += values
    names = list(variants)
    print(
        f"search at {Library.open(folder, data_dir).count(View()):,} articles, ms, load"
        f" {os.getloadavg()[0]:.1f} (1 min); each: 2 processes x 3 passes"
    )
    print(
        f"{'shape':<36}"
        + "".join(f"{n[:22]:>24}" for n in names)
        + ("   new/old p95" if old_src else "")
    )
    for key in figures[names[0]]:
        cells = [
            f"p50 {pct(figures[n][key], 50):6.1f} p95 {pct(figures[n][key], 95):6.1f}"
            for n in names
        ]
        ratio = (
            f"   {pct(figures[names[0]][key], 95) / pct(figures[names[1]][key], 95):.2f}x"
            if old_src
            else ""
        )
        print(f"{key:<36}" + "".join(f"{c:>24}" for c in cells) + ratio)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--keep-cache", action="store_true", help="leave the data dir behind")
    parser.add_argument(
        "--cli-only",
        type=Path,
        metavar="DATA_DIR",
        help="only the CLI times and the no-change sync, on --dir already indexed into DATA_DIR",
    )
    parser.add_argument("--search-only", type=Path, metavar="DATA_DIR", help="only search")
    parser.add_argument("--old-src", type=Path, help="with --search-only: an older src/ too")
    args = parser.parse_args(argv)
    if args.search_only:
        search_only(args.dir, args.search_only, args.old_src)
        return 0
    if args.cli_only:
        assert args.dir, "--cli-only needs --dir"
        library = Library.open(args.dir, args.cli_only)
        library.sync()
        print(f"{library.count(View())} articles, load {os.getloadavg()[0]:.1f}")
        print(sync_compare(library))
        print("\n".join(cli_times(args.dir, args.cli_only)))
        return 0
    folder = args.dir or Path(tempfile.gettempdir()) / f"newsreader-bench-{args.n}"
    marker = folder / ".generated"
    stamp = f"{args.n} {args.seed}"
    if not marker.exists() or marker.read_text() != stamp:
        log(f"generating {args.n} files into {folder} …")
        shutil.rmtree(folder, ignore_errors=True)
        seconds, _ = timed(lambda: gen_corpus.generate(folder, args.n, args.seed))
        marker.write_text(stamp)
        log(f"  generated in {seconds:.1f}s")
    else:
        # A previous run changed 1% of the files: put them back, so every run starts the same.
        gen_corpus.generate(folder, args.n, args.seed)
    data_dir = Path(tempfile.mkdtemp(prefix="newsreader-bench-data-"))
    out: list[str] = [f"newsreader library benchmark: {args.n} files, {os.cpu_count()} cores"]

    log("floor …")
    floor(str(folder))  # warm the page cache, so every measure below reads from memory
    base, _ = timed(lambda: floor(str(folder)))
    out.append(f"floor (read + CSafeLoader, 1 process)  {base:8.2f} s   1.00x")

    def line(label: str, seconds: float, target: str = "") -> str:
        return f"{label:39} {seconds:8.2f} s   {seconds / base:.2f}x  {target}"

    log("cold index …")
    with RssSampler() as sampler:
        library = Library.open(folder, data_dir)
        cpu0 = os.times()
        cold, report = timed(lambda: library.sync(workers=args.workers))
        cpu1 = os.times()
    out.append(line("cold index", cold, "(target <= 1.0x)"))
    cpu = cpu1.user - cpu0.user + cpu1.system - cpu0.system
    out.append(f"  {report.summary()}; main process CPU {cpu:.1f} s")
    share = report.story_seconds / max(1e-9, cold - report.story_seconds)
    out.append(
        f"  stories: {report.story_seconds:.2f} s, adding {share:.1%} to the rest of the cold"
        " index (target <= 25%)"
    )

    log("no-change sync …")
    again, report = timed(lambda: library.sync(workers=args.workers))
    out.append(line("no-change sync", again, "(target < 0.1x)"))
    out.append(f"  {report.summary()}; stories {report.story_seconds * 1000:.2f} ms")

    out.append("  " + sync_compare(library))
    log("CLI …")
    out += cli_times(folder, data_dir)

    log("1% changed …")
    gen_corpus.change(folder, args.n, 0.01, args.seed)
    changed, report = timed(lambda: library.sync(workers=args.workers))
    out.append(line("sync after 1% changed", changed, "(target < 0.2x)"))
    out.append(f"  {report.summary()}")

    log("search …")
    # Two paths: the reader's (every matching rowid in rank order, which is also the count, then
    # the rows of the first screenful) and the CLI's (the same ranked rowids, then the rows of
    # the hits it prints, SEARCH_LIMIT by default, each with a highlighted snippet: a snippet
    # re-tokenises its article, so it costs per row shown).
    reader_ms: list[float] = []
    cli_ms: list[float] = []
    hits = 0
    for q in queries(100):
        view = View(query=q)
        seconds, _ = timed(lambda v=view: library.rows(library.rowids(v)[:200]))
        reader_ms.append(seconds * 1000)
        seconds, ranked = timed(lambda v=view: _cli_search(library, v))
        cli_ms.append(seconds * 1000)
        hits += len(ranked)
    for label, latencies in (
        ("search as the reader runs it (ranked ids + first 200 rows)", reader_ms),
        (f"search as the CLI runs it (ranked ids + {SEARCH_LIMIT} rows with snippets)", cli_ms),
    ):
        out.append(
            f"{label}, 100 queries: p50 {pct(latencies, 50):.1f} ms, p95 {pct(latencies, 95):.1f}"
            f" ms, max {max(latencies):.1f} ms (target p95 < 50 ms)"
        )
    out.append(f"  {hits / 100:.0f} hits per query on average")

    log("paging …")
    total = library.count(View())
    rng = random.Random(5)
    for label, view in (
        ("all", View()),
        ("unread", View(unread=True)),
        ("topic", View(topic="AI")),
        ("search", View(query="police")),
    ):
        n = library.count(view) or 1
        pages = []
        for _ in range(50):
            offset = rng.randrange(max(1, n - 200))
            pages.append(timed(lambda v=view, o=offset: library.page(v, o, 200))[0] * 1000)
        out.append(
            f"page of 200 rows at random offsets ({label}, {n} rows): "
            f"p50 {pct(pages, 50):.1f} ms, p95 {pct(pages, 95):.1f} ms"
        )
    seconds, _ = timed(lambda: (library.topics(), library.sources(), library.totals()))
    out.append(f"topics + sources + totals: {seconds * 1000:.0f} ms ({total} articles)")

    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out.append(
        f"peak RSS: main process {main_peak / 2**20:.0f} MB, largest worker "
        f"{sampler.worker_peak / 2**20:.0f} MB, all together {sampler.total_peak / 2**20:.0f} MB"
        f" (target < 300 MB); PSS all together {sampler.total_pss_peak / 2**20:.0f} MB"
    )
    if library.cache_path:
        out.append(f"cache size: {library.cache_path.stat().st_size / 2**20:.0f} MB")
    # Last: parsing a sample in this process fills its caches and heap (~35 MB), which the
    # peak RSS above, taken as the real command runs, must not include.
    log("parse costs by kind …")
    out.append("parse cost (a 1,500-file sample, one process):")
    out += parse_costs(str(folder), args.n, args.seed)
    library.close()
    if not args.keep_cache:
        shutil.rmtree(data_dir, ignore_errors=True)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
