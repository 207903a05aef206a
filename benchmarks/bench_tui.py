"""TUI speed at 100,000 articles against the seeds, measured in the same run (ratios, not a test).

Prints, for a cached folder of N generated articles and for seeds/:
- first paint: from creating the app to the list showing its first rows (cache already built);
- a keypress: mean time of `j` (cursor down, reader preview) over 200 presses, and of `G` + `g`;
- a full-text search submitted from the search box, until the first hit is shown.

Run:  python benchmarks/bench_tui.py [-n 100000] [--folder DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from newsreader.library.library import Library  # noqa: E402
from newsreader.tui.app import NewsReaderApp  # noqa: E402


async def measure(folder: Path, data: Path) -> dict[str, float]:
    library = Library.open(folder, data)
    started = time.perf_counter()
    app = NewsReaderApp(library, sync_on_start=False)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.articles.rowids:
            await pilot.pause(0.001)
        await pilot.pause()
        figures["first paint"] = time.perf_counter() - started
        await app.workers.wait_for_complete()
        presses = 200
        started = time.perf_counter()
        for _ in range(presses):
            await pilot.press("j")
        await app.workers.wait_for_complete()
        await pilot.pause()
        figures["keypress j"] = (time.perf_counter() - started) / presses
        started = time.perf_counter()
        for _ in range(10):
            await pilot.press("G", "g")
        await app.workers.wait_for_complete()
        figures["keypress G/g"] = (time.perf_counter() - started) / 20
        started = time.perf_counter()
        await pilot.press("slash", *"facial", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        figures["search to first hit"] = time.perf_counter() - started
    library.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=None, help="an existing generated folder")
    args = parser.parse_args()
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
        for name, path in (("seeds", seeds), ("big", folder)):
            library = Library.open(path, base / f"data-{name}")
            t = time.perf_counter()
            report = library.sync()
            print(f"indexed {name}: {report.summary()} ({time.perf_counter() - t:.1f}s)")
            library.close()
        small = asyncio.run(measure(seeds, base / "data-seeds"))
        big = asyncio.run(measure(folder, base / "data-big"))
        count = Library.open(folder, base / "data-big").count(
            __import__("newsreader.library.library", fromlist=["View"]).View()
        )
        print(f"\n{'measure':<22}{'seeds (5)':>12}{f'big ({count:,})':>16}{'ratio':>8}")
        for key in small:
            print(
                f"{key:<22}{small[key] * 1000:>10.1f}ms{big[key] * 1000:>14.1f}ms{big[key] / small[key]:>8.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
