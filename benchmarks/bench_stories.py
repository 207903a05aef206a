"""What stories cost: a cold rebuild against the cold index, a no-change and a 1% update, queries.

Generates a folder with ``gen_corpus.py`` (unless ``--folder`` names one already made), indexes
it with ``Library.sync()``, then times :func:`newsreader.library.stories.update` and the story
queries the Stories view and the related pane use. The target is stories adding at most 25% to
the cold index and a no-change update costing nothing. The rebuild and the update the 1% sync
runs are printed with their CPU time (the rebuild's pool included) and as a ratio to the floor
of ``bench_library.py`` (a bare read-and-parse loop over the same folder, measured here), with
the load average: other work on the machine moves wall times, much less CPU times.

Run:  python benchmarks/bench_stories.py [-n 100000] [--folder DIR] [--data DIR]

With a ``--data`` dir kept from an earlier run the sync has nothing to do, so only the stories
part is timed again (a rebuild against the full cache); there is no cold index to compare with.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

if __name__ != "__mp_main__":  # a spawned pool worker re-running this script needs none of it
    import gen_corpus
    from bench_library import floor

    from newsreader.library import series, signing, stories
    from newsreader.library.grouping import StoryStats
    from newsreader.library.library import Library


def _timed(label: str, seconds: float, extra: str = "") -> None:
    print(f"{label:<42} {seconds * 1000:10.1f} ms  {extra}")


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the rebuild's pool)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


class _Updates:
    """Wraps ``stories.update`` to note the wall and CPU time of each call (the sync calls it)."""

    def __init__(self) -> None:
        self.real = stories.update
        self.calls: list[tuple[StoryStats, float]] = []

    def __call__(self, *args: Any) -> StoryStats:
        cpu = _cpu()
        stats = self.real(*args)
        self.calls.append((stats, _cpu() - cpu))
        return stats


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, help="an already generated folder (kept)")
    parser.add_argument("--data", type=Path, help="data dir for the cache (default: temporary)")
    args = parser.parse_args(argv)
    scratch = tempfile.TemporaryDirectory(prefix="bench-stories-")
    folder = args.folder or Path(scratch.name) / "folder"
    data = args.data or Path(scratch.name) / "data"
    if args.folder is None:
        started = time.perf_counter()
        gen_corpus.generate(folder, args.n)
        print(f"generated {args.n} files in {time.perf_counter() - started:.1f}s")

    floor(str(folder))  # warm the page cache, as the syncs below find it
    base = floor(str(folder))
    print(f"floor (read + parse front matter, 1 process): {base:.2f}s; {_load()}")

    library = Library.open(folder, data)
    conn = library.conn
    started = time.perf_counter()
    report = library.sync()
    cold = time.perf_counter() - started
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    print(f"cold index: {cold:.1f}s for {articles} articles ({report.summary()})")
    # What the stories add to the cold index: the regroup the sync ran, against the rest of it.
    without = cold - report.story_seconds
    if report.added:
        share = report.story_seconds / without
        verdict = "OK" if share <= 0.25 else "OVER TARGET"
        print(
            f"stories in the cold index: {report.story_seconds:.1f}s, adding {share:.1%} to the"
            f" {without:.1f}s without them (target <= 25%: {verdict})"
        )

    cpu = _cpu()
    stats = stories.update(conn, None)
    cpu = _cpu() - cpu
    # ru_maxrss is in KiB on Linux; it covers the sync above too.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    added = f" = {stats.seconds / without:.1%} of the cold index" if report.added else ""
    print(
        f"stories rebuild: {stats.seconds:.1f}s = {stats.seconds / base:.2f}x the floor{added};"
        f" CPU {cpu:.1f}s (pool included); {_load()}; {stats.summary()}"
    )
    print(f"  peak RSS of this process so far: {peak:.0f} MB")
    print(
        f"  {stories.story_count(conn)} stories, "
        f"{conn.execute('SELECT count(*) FROM stories').fetchone()[0]} articles in stories, "
        f"{conn.execute('SELECT count(*) FROM similar').fetchone()[0] // 2} similar pairs"
    )
    # Stories are events (issue 19): none should span more than the window between its dated
    # reports, and a recurring series is not a story.
    largest, widest = conn.execute(
        "SELECT max(n), max(span) FROM (SELECT count(*) AS n,"
        " (max(a.published) - min(a.published)) / 86400.0 AS span"
        " FROM stories s JOIN articles a ON a.rowid = s.article GROUP BY s.story)"
    ).fetchone()
    found = series.series_list(conn)
    print(
        f"  largest story {largest} articles, widest {widest or 0:.1f} days between dated"
        f" reports (window {signing.STORY_WINDOW_DAYS:g}); {len(found)} series"
        f" ({sum(size for _, _, size, _ in found)} articles),"
        f" {conn.execute('SELECT count(DISTINCT grp) FROM story_boilerplate').fetchone()[0]}"
        " groups with boilerplate"
    )
    started = time.perf_counter()
    series.rebuild_boilerplate(conn)
    _timed("boilerplate of every group (part of the rebuild)", time.perf_counter() - started)

    started = time.perf_counter()
    stories.update(conn, set())
    _timed("update, nothing changed", time.perf_counter() - started)

    started = time.perf_counter()
    library.sync()
    nochange = time.perf_counter() - started
    _timed("no-change sync (for scale)", nochange)

    changed_files = gen_corpus.change(folder, args.n, 0.01) if args.folder is None else []
    if changed_files:
        updates = stories.update = _Updates()  # the update the sync runs, timed as it runs
        started = time.perf_counter()
        report = library.sync()
        synced = time.perf_counter() - started
        stories.update = updates.real
        ((stats, cpu),) = updates.calls
        _timed(
            f"sync of {len(changed_files)} edited files", synced, f"{synced / base:.3f}x the floor"
        )
        _timed(
            "stories update in that sync",
            stats.seconds,
            f"{stats.seconds / base:.3f}x the floor, {stats.seconds / synced:.1%} of the sync;"
            f" CPU {cpu:.2f}s; {_load()}; {stats.summary()}",
        )

    started = time.perf_counter()
    page = stories.stories(conn, 200, 0)
    _timed("stories() first page of 200", time.perf_counter() - started)
    started = time.perf_counter()
    stories.stories(conn, 200, max(0, stories.story_count(conn) - 200))
    _timed("stories() last page of 200", time.perf_counter() - started)
    if page:
        started = time.perf_counter()
        for story_id, *_ in page:
            stories.story_members(conn, story_id)
        _timed("story_members() x200, per call", (time.perf_counter() - started) / len(page))
        biggest = page[0]
        print(f"  biggest story: {biggest[1]} articles, {biggest[3]!r}")
    sample = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY rowid LIMIT 200")]
    started = time.perf_counter()
    for article_id in sample:
        stories.story_of(conn, article_id)
        stories.similar(conn, article_id)
        stories.inferred_topics(conn, article_id)
    _timed(
        "story_of+similar+inferred_topics, per article",
        (time.perf_counter() - started) / len(sample),
    )
    library.close()
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
