"""Fetch benchmark: 500 generated feeds of 50 items each from a local server.

Prints the first fetch into an empty folder (HTTP, parse, files written, library synced) in
feeds/s and items/s, then a fetch where every feed answers 304 Not Modified. Targets on two
cores: 25,000 items in under 60 s, sync included; the no-change fetch under 2 s. Each fetch is
split into its two parts: fetching, parsing and writing the items, then the library's sync of
the folder. ``--profile first`` (or ``no-change``) prints where that fetch's own part spent its time.

    .venv/bin/python benchmarks/bench_fetch.py [--feeds 500] [--items 50] [--profile first|no-change]

``--newsboat`` first times newsboat (when it is installed) reloading the same feeds from the same
server into an empty cache, with its default settings: the issue's side by side is
``--feeds 20 --items 1000 --body-kb 3 --newsboat``. ``--body-kb`` pads each item's HTML
description to about that many kilobytes.

The server runs in a process of its own, so it does not share the fetcher's interpreter lock.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import resource
import shutil
import sqlite3
import subprocess
import tempfile
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def feed(n: int, items: int, port: int, body_kb: int = 0) -> bytes:
    """Feed ``n``: ``items`` items with a guid, link, date, categories and an HTML body (padded
    to about ``body_kb`` kilobytes when that is given)."""
    padding = "&lt;p&gt;" + "The council met again and heard more about the event. " * 20
    padding = (padding + "&lt;/p&gt;") * (body_kb * 1024 // len(padding))
    parts = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Generated feed {n}</title><link>http://127.0.0.1:{port}/site/{n}/</link>"
    ]
    for i in range(items):
        stamp = formatdate(1_600_000_000 + n * 1000 + i * 60, usegmt=True)
        parts.append(
            f"<item><title>Feed {n} reports event {i} in the valley</title>"
            f"<link>http://127.0.0.1:{port}/site/{n}/story-{i}.html</link>"
            f'<guid isPermaLink="false">feed-{n}-item-{i}</guid><pubDate>{stamp}</pubDate>'
            f"<category>Topic {i % 7}</category>"
            f"<description>&lt;p&gt;Officials said on Monday that event {i} of feed {n} drew "
            f"a large crowd to the valley, and that more were expected.&lt;/p&gt;&lt;p&gt;The "
            f'second paragraph gives &lt;a href="/site/{n}/more-{i}"&gt;more detail&lt;/a&gt; '
            f"about the event and what comes next.&lt;/p&gt;{padding}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def serve(port_out: multiprocessing.Queue, items: int, body_kb: int) -> None:  # type: ignore[type-arg]
    """The server process: ``/f/N.xml`` is feed N, with an ETag; 304 when it matches."""
    cache: dict[int, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            n = int(self.path.split("/")[-1].split(".")[0])
            etag = f'"feed-{n}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = cache.get(n) or cache.setdefault(
                n, feed(n, items, self.server.server_port, body_kb)
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    port_out.put(httpd.server_address[1])
    httpd.serve_forever()


def main() -> None:
    """Run both fetches and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--body-kb", type=int, default=0, help="pad each description to ~N KB")
    parser.add_argument("--newsboat", action="store_true", help="time newsboat on the same feeds")
    parser.add_argument(
        "--profile", choices=("first", "no-change"), help="profile one fetch's own part"
    )
    args = parser.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = "127.0.0.1"

    from newsreader.feeds.fetch import fetch_all
    from newsreader.feeds.opml import Subscription, save_subscriptions
    from newsreader.library.library import Library

    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(
        target=serve, args=(ports, args.items, args.body_kb), daemon=True
    )
    server.start()
    port = ports.get(timeout=30)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp:
            folder, data = Path(tmp) / "news", Path(tmp) / "data"
            folder.mkdir()
            urls = [f"http://127.0.0.1:{port}/f/{n}.xml" for n in range(args.feeds)]
            save_subscriptions(folder, [Subscription(u, f"Feed {n}") for n, u in enumerate(urls)])
            library = Library.open(folder, data)
            print(f"{args.feeds} feeds x {args.items} items, {os.cpu_count()} CPUs")
            print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
            if args.newsboat:
                newsboat(urls, Path(tmp) / "newsboat", args.feeds * args.items)
            for label in ("first fetch", "no-change fetch"):
                profile = cProfile.Profile() if label == f"{args.profile} fetch" else None
                started, cpu = time.perf_counter(), cpu_seconds()
                if profile is not None:
                    profile.enable()
                report = fetch_all(folder, None, data)
                if profile is not None:
                    profile.disable()
                fetched, fetch_cpu = time.perf_counter() - started, cpu_seconds() - cpu
                totals = report.totals()
                if totals.new or totals.updated:  # what fetch_all does with a library
                    report.sync_summary = library.sync().summary()
                seconds = time.perf_counter() - started
                sync_cpu = cpu_seconds() - cpu - fetch_cpu
                items = totals.new + totals.updated + totals.unchanged
                statuses: dict[str, int] = {}
                for result in report.feeds:
                    statuses[result.status] = statuses.get(result.status, 0) + 1
                print(
                    f"{label}: {seconds:.2f} s total ({fetched:.2f} s fetching and writing,"
                    f" {seconds - fetched:.2f} s the library's sync),"
                    f" {len(report.feeds) / seconds:.0f} feeds/s,"
                    f" {totals.new / seconds:.0f} new items/s; {totals.new} new,"
                    f" {totals.updated} updated, {items - totals.new - totals.updated} unchanged;"
                    f" {statuses}; failed {len(report.failed)}"
                )
                print(f"  CPU: {fetch_cpu:.1f} s fetching and writing, {sync_cpu:.1f} s the sync")
                if report.sync_summary:
                    print(f"  sync: {report.sync_summary}")
                if profile is not None:
                    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
            files = sum(1 for _ in (folder / "feeds").rglob("*.md"))
            print(
                f"files written: {files}; articles in the library: {len(library.article_ids(_all()))}"
            )
            library.close()
    finally:
        server.terminate()
        server.join()


def cpu_seconds() -> float:
    """CPU seconds used by this process and every process below it, live or ended and reaped
    (the parse pools' workers are the forkserver's children, not ours), read from /proc: on a
    loaded machine they say more than the wall time. The server process is not counted."""
    stats: dict[int, tuple[int, list[str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended while we looked
            stats[int(entry.name)] = (int(fields[1]), fields)
    server = {p.pid for p in multiprocessing.active_children()}
    mine, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        mine.append(pid)
        todo += [c for c, (parent, _) in stats.items() if parent == pid and c not in server]
    ticks = sum(sum(int(v) for v in stats[pid][1][11:15]) for pid in mine if pid in stats)
    return ticks / os.sysconf("SC_CLK_TCK")


def newsboat(urls: list[str], home: Path, items: int) -> None:
    """Time ``newsboat -x reload`` of ``urls`` into an empty cache (its default settings, so
    one feed at a time), and count the items it stored."""
    exe = shutil.which("newsboat")
    if exe is None:
        print("newsboat: not installed (apt-get install newsboat)")
        return
    home.mkdir()
    (home / "urls").write_text("\n".join(urls) + "\n", encoding="utf-8")
    (home / "config").write_text("", encoding="utf-8")
    cache = home / "cache.db"
    command = [exe, "-x", "reload", "-u", str(home / "urls"), "-c", str(cache)]
    command += ["-C", str(home / "config")]
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command, env={**os.environ, "HOME": str(home)}, capture_output=True, check=False
    )
    seconds, used = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_used = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    with sqlite3.connect(cache) as conn:
        stored = conn.execute("SELECT count(*) FROM rss_item").fetchone()[0]
    version = subprocess.run([exe, "-v"], capture_output=True, text=True, check=False)
    name = version.stdout.split(" - ")[0].strip() or "newsboat"
    print(
        f"{name} reload: {seconds:.2f} s (CPU {cpu_used:.1f} s), {stored} of {items} items stored,"
        f" exit {done.returncode}; load {os.getloadavg()[0]:.2f}"
    )


def _all() -> object:
    from newsreader.library.library import View

    return View()


if __name__ == "__main__":
    main()
