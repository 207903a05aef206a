"""TUI speed at 100,000 articles, as ratios to baselines measured in the same run (not a test).

Three cached folders are measured: seeds/, a small folder holding the 250 articles the big list
shows first (so j lands on the same articles in both, and big/small isolates what the folder's
size adds), and the big folder of N generated articles. For each:
- first paint: from opening the library to the list drawing its first article row (the median
  of several starts, and the fastest of them: on a shared VM single starts of seeds/ range
  from 55 to 250 ms, and the median of 15 moves by a third from run to run);
- a keypress: mean time of `j` (cursor down; the reader previews the row) over 200 presses,
  and of `G` + `g`;
- a full-text search typed into the search box and submitted, until the first hit is shown.
The issue's goals are first paint big/seeds <= 1.2 and keypress big/small ~ 1.0: what a key
costs is the work of drawing the article it lands on, which must not grow with the folder.

``--from-start`` measures instead what a person waits: from the command starting (a new
``python`` running ``newsreader DIR`` in a pseudo-terminal, imports and all) to the first seed's
title on the screen, read back through a terminal emulator; the median of several starts. The
variants start in turns, in the same run: this checkout; this checkout with the extractor
(``newsreader.ingest.clean``: trafilatura, lxml) imported first, as it was before issue 20; and
``--old-src DIR`` (e.g. ``git archive REV src | tar -x -C DIR``) ahead on the path. Each is also
given the CPU time the command had used when it painted, its own and with the helper processes
it started (read from /proc): on a shared machine that moves far less than the wall time.

Run:  python benchmarks/bench_tui.py [-n 100000] [--folder DIR]
      python benchmarks/bench_tui.py --from-start [--starts 10] [--old-src DIR/src]
          [--folder DIR --data DATA]  (a cached folder instead of the seeds)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from textual.strip import Strip  # noqa: E402
from textual.worker import WorkerCancelled  # noqa: E402

from newsreader.library.library import Library  # noqa: E402
from newsreader.model import View  # noqa: E402
from newsreader.tui.app import NewsReaderApp  # noqa: E402
from newsreader.tui.widgets.article_list import ArticleList  # noqa: E402

#: Presses of j, each landing on the next article (seeds has five: the rest press at the end).
PRESSES = 200
#: Starts of each folder whose first paints give the median.
PAINTS = 15


async def settle(app: NewsReaderApp) -> None:
    """Wait for the app's workers; a worker cancelled by a newer one counts as done."""
    for worker in list(app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


async def first_paint(folder: Path, data: Path) -> float:
    """Seconds from opening the library to the list drawing its first article row."""
    started = time.perf_counter()
    library = Library.open(folder, data)
    app = NewsReaderApp(library, sync_on_start=False)
    painted: list[float] = []
    original = ArticleList.render_line

    def render_line(self: ArticleList, y: int) -> Strip:
        if not painted and self.rowids:
            painted.append(time.perf_counter())
        return original(self, y)

    ArticleList.render_line = render_line  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            while not painted:
                await pilot.pause(0.001)
            await settle(app)
    finally:
        ArticleList.render_line = original  # type: ignore[method-assign]
        library.close()
    return painted[0] - started


async def measure(folder: Path, data: Path) -> dict[str, float]:
    """Keys and a search on a started app (first paints are timed apart: ``first_paint``)."""
    library = Library.open(folder, data)
    app = NewsReaderApp(library, sync_on_start=False)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app)
        await pilot.pause()
        await settle(app)
        started = time.perf_counter()
        for _ in range(PRESSES):
            await pilot.press("j")
        await settle(app)
        await pilot.pause()
        figures["keypress j"] = (time.perf_counter() - started) / PRESSES
        started = time.perf_counter()
        for _ in range(10):
            await pilot.press("G", "g")
        await settle(app)
        figures["keypress G/g"] = (time.perf_counter() - started) / 20
        started = time.perf_counter()
        await pilot.press("slash", *"facial", "enter")
        await settle(app)
        await pilot.pause()
        figures["search to first hit"] = time.perf_counter() - started
    library.close()
    return figures


#: Starts of the command whose first paints give the median (``--from-start``).
STARTS = 10
#: What each variant runs before ``main()``: nothing, or the extractor's import.
_PRELUDE = {
    "this checkout": "",
    "extractor imported first": "import newsreader.ingest.clean; ",
}


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by process ``pid``, and by every process of its
    session (it leads one in a pseudo-terminal: its resource tracker and pool are in it)."""
    tick = os.sysconf("SC_CLK_TCK")
    own = everyone = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[3]) == pid:
            everyone += used
        if int(entry.name) == pid:
            own = used
    return own, everyone


def command_paint(
    folder: Path, home: Path, title: str, src: Path | None = None, prelude: str = ""
) -> tuple[float, float, float]:
    """Seconds from starting ``newsreader FOLDER`` in a 120x40 pseudo-terminal to ``title`` on
    its screen (the cache is already in ``home``/data), and the CPU seconds used by then (the
    command's own, and with its helpers: ``cpu_seconds``); the app is then quit with q."""
    import pexpect
    import pyte

    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "NEWSREADER_DATA_DIR": str(home / "data"),
        "NEWSREADER_CONFIG": str(home / "config.toml"),
    }
    if src is not None:
        environment["PYTHONPATH"] = str(src)
    code = f"import sys; {prelude}from newsreader.cli import main; sys.exit(main())"
    screen = pyte.Screen(120, 40)
    stream = pyte.ByteStream(screen)
    started = time.perf_counter()
    child = pexpect.spawn(
        sys.executable, ["-c", code, str(folder)], env=environment, dimensions=(40, 120)
    )
    try:
        while True:
            try:
                stream.feed(child.read_nonblocking(65536, timeout=0.005))
            except pexpect.TIMEOUT:
                continue
            if any(title in line for line in screen.display):
                painted = time.perf_counter() - started
                cpu = cpu_seconds(child.pid)
                break
        child.send("q")
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)
    return (painted, *cpu)


def from_start(starts: int, old_src: Path | None, folder: Path | None, data: Path | None) -> int:
    """The first paint of the seeds (or of ``folder``, cached in ``data``) from the command's
    start, each variant in turns."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        seeds = home / "seeds"
        if folder is None:
            shutil.copytree(ROOT / "seeds", seeds)
        else:
            seeds = folder
            if data is not None:
                (home / "data").symlink_to(data.resolve())
        library = Library.open(seeds, home / "data")
        library.sync()
        title = library.rows(library.rowids(View())[:1])[0].title[:24]
        library.close()
        variants: dict[str, tuple[Path | None, str]] = {
            name: (None, prelude) for name, prelude in _PRELUDE.items()
        }
        if old_src is not None:
            variants[f"--old-src {old_src}"] = (old_src, "")
        paints: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
        command_paint(seeds, home, title)  # a first start warms the disk cache for all
        for _ in range(starts):
            for name, (src, prelude) in variants.items():
                paints[name].append(command_paint(seeds, home, title, src, prelude))
        base = statistics.median(wall for wall, _, _ in paints["this checkout"])
        print(f"first paint of {seeds} from the command's start, {starts} starts each, 120x40 pty")
        print(f"  load: {os.getloadavg()[0]:.2f} (1 min)")
        print(
            f"  {'':<40} {'wall: median':>14} {'best':>9} {'ratio':>6}  {'cpu: own':>9} {'all':>7}"
        )
        for name, runs in paints.items():
            walls = [wall for wall, _, _ in runs]
            median = statistics.median(walls)
            own = statistics.median(cpu for _, cpu, _ in runs)
            every = statistics.median(cpu for _, _, cpu in runs)
            print(
                f"  {name:<40} {median * 1000:11.1f} ms {min(walls) * 1000:6.1f} ms"
                f" {median / base:5.2f}x  {own * 1000:6.0f} ms {every * 1000:4.0f} ms"
            )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=None, help="an existing generated folder")
    parser.add_argument(
        "--data", type=Path, default=None, help="an existing data dir holding --folder's cache"
    )
    parser.add_argument(
        "--from-start", action="store_true", help="first paint from the command start"
    )
    parser.add_argument("--starts", type=int, default=STARTS)
    parser.add_argument("--old-src", type=Path, default=None, help="an older src/ to compare")
    args = parser.parse_args()
    if args.from_start:
        return from_start(args.starts, args.old_src, args.folder, args.data)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        folder = args.folder or base / "corpus"
        if args.folder is None:
            import gen_corpus

            t = time.perf_counter()
            gen_corpus.generate(folder, args.n)
            print(f"generated {args.n:,} files in {time.perf_counter() - t:.1f}s")
        seeds = base / "seeds"
        shutil.copytree(ROOT / "seeds", seeds)
        big_data = args.data or base / "data-big"
        library = Library.open(folder, big_data)
        t = time.perf_counter()
        report = library.sync()
        print(f"indexed big: {report.summary()} ({time.perf_counter() - t:.1f}s)")
        # The small folder holds the very articles the big list shows first, in the same order,
        # so the 200 presses of j land on the same articles in both: big/small is then what the
        # folder's size adds, and nothing else (the articles' own drawing cost cancels out).
        small = base / "small"
        small.mkdir()
        first = library.rows(library.rowids(View())[: PRESSES + 50])
        for number, row in enumerate(first):
            article = library.article(row.id)
            assert article is not None
            for path in article.paths:
                shutil.copy(path, small / f"{number:03}-{Path(path).name}")
        library.close()
        folders = (
            ("seeds", seeds, base / "data-seeds"),
            ("small", small, base / "data-small"),
            ("big", folder, big_data),
        )
        for name, path, data in folders[:2]:
            library = Library.open(path, data)
            t = time.perf_counter()
            report = library.sync()
            print(f"indexed {name}: {report.summary()} ({time.perf_counter() - t:.1f}s)")
            library.close()
        figures: dict[str, dict[str, float]] = {name: {} for name, _, _ in folders}
        # A first paint is one short event, and on a shared machine one sample of it swings by
        # 2x: take the median of several starts of each folder, interleaved.
        paints: dict[str, list[float]] = {name: [] for name, _, _ in folders}
        for _ in range(PAINTS):
            for name, path, data in folders:
                paints[name].append(asyncio.run(first_paint(path, data)))
        for name, path, data in folders:
            figures[name]["first paint"] = statistics.median(paints[name])
            # The fastest start too: on a shared machine the median moves with the neighbours.
            figures[name]["first paint, best"] = min(paints[name])
            figures[name].update(asyncio.run(measure(path, data)))
        count = Library.open(folder, big_data).count(View())
        print(
            f"\n{'measure':<22}{'seeds':>10}{'small':>10}{f'big ({count:,})':>16}"
            f"{'big/seeds':>11}{'big/small':>11}"
        )
        for key in figures["seeds"]:
            seeds_ms, small_ms, big_ms = (figures[n][key] * 1000 for n in ("seeds", "small", "big"))
            print(
                f"{key:<22}{seeds_ms:>8.1f}ms{small_ms:>8.1f}ms{big_ms:>14.1f}ms"
                f"{big_ms / seeds_ms:>11.2f}{big_ms / small_ms:>11.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
