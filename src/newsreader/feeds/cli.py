"""The feed subcommands: ``feeds add|list|remove|import|export``, ``fetch`` and ``save``.

``newsreader.cli`` adds these parsers and runs the handler each one sets. Errors are one line on
stderr; exit 2 for usage, 1 for failure, as for every other command.

Every command builds this parser, the reader's start included, so the feeds code (httpx,
feedparser, the writer: 0.2-0.4 s of imports) is imported by the handlers, never up here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from newsreader.ingest.sanitize import clean_line
from newsreader.ingest.urls import safe_url

if TYPE_CHECKING:
    from newsreader.feeds.fetch import FeedResult

COMMANDS = ("feeds", "fetch", "save")


def add_parsers(sub: Any) -> None:
    """Add the feed subcommands to the CLI's subparsers."""
    feeds = sub.add_parser("feeds", help="subscribe to RSS, Atom and JSON feeds (see 'fetch')")
    actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    p = actions.add_parser("add", help="subscribe to a feed, or to the feed a page announces")
    p.add_argument("dir")
    p.add_argument("url")
    p.add_argument("--title", default="", help="the feed's name (default: its own title)")
    p.add_argument("--full", action="store_true", help="fetch each item's page for the article")
    p.set_defaults(handler=_cmd_add)
    p = actions.add_parser("list", help="one line per feed: articles, unread, last fetch, error")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true", help="JSON Lines, one object per feed")
    p.set_defaults(handler=_cmd_list)
    p = actions.add_parser("remove", help="unsubscribe (the saved articles stay)")
    p.add_argument("dir")
    p.add_argument("url")
    p.set_defaults(handler=_cmd_remove)
    p = actions.add_parser("import", help="subscribe to the feeds of an OPML file")
    p.add_argument("dir")
    p.add_argument("file")
    p.set_defaults(handler=_cmd_import)
    p = actions.add_parser("export", help="the subscriptions as OPML 2.0, on stdout")
    p.add_argument("dir")
    p.set_defaults(handler=_cmd_export)

    p = sub.add_parser("fetch", help="fetch every feed, save the new items, update the library")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true", help="JSON Lines: one object per feed, a total")
    p.set_defaults(handler=_cmd_fetch)
    p = sub.add_parser("save", help="save a web page's article into the folder (read it later)")
    p.add_argument("dir")
    p.add_argument("url")
    p.set_defaults(handler=_cmd_save)


def _cli() -> Any:
    from newsreader import cli

    return cli


def _data_dir(args: argparse.Namespace) -> Any:
    from newsreader import config, paths

    return paths.data_dir(args.data_dir, config.load().data_dir)


def _url(text: str) -> str:
    url = safe_url(text)
    if url is None:
        raise _cli().UsageError(f"not an http(s) URL: {clean_line(text, 200)}")
    return url


def _fail(message: str) -> int:
    print(f"newsreader: {clean_line(message, 400)}", file=sys.stderr)
    return 1


def _cmd_add(args: argparse.Namespace) -> int:
    from newsreader.feeds.fetch import subscribe
    from newsreader.feeds.http import FetchError
    from newsreader.feeds.parse import FeedError

    folder = _cli()._folder(args.dir)
    try:
        sub = subscribe(folder, _url(args.url), title=args.title, full=args.full)
    except (FeedError, FetchError) as error:
        return _fail(str(error))
    print(f"subscribed: {sub.title}  {sub.url}")
    print(f"'newsreader fetch {args.dir}' fetches it")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    from newsreader.feeds.fetch import unsubscribe
    from newsreader.feeds.parse import FeedError

    folder = _cli()._folder(args.dir)
    try:
        sub = unsubscribe(folder, args.url)
    except FeedError as error:
        return _fail(str(error))
    print(f"unsubscribed: {sub.title or sub.url} (its saved articles stay)")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from newsreader.feeds.http import MAX_FEED_BYTES
    from newsreader.feeds.opml import load_subscriptions, read_opml, save_subscriptions
    from newsreader.feeds.parse import FeedError

    folder = _cli()._folder(args.dir)
    try:
        with open(args.file, "rb") as handle:
            found = read_opml(handle.read(MAX_FEED_BYTES))
        subs = load_subscriptions(folder)
    except OSError as error:
        return _fail(f"{args.file}: {error.strerror or error}")
    except FeedError as error:
        return _fail(f"{args.file}: {error}")
    known = {s.url for s in subs}
    new = [s for s in found if s.url not in known]
    save_subscriptions(folder, [*subs, *new])
    print(f"imported {len(new)} feeds ({len(found) - len(new)} already subscribed)")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from newsreader.feeds.opml import load_subscriptions, render_opml
    from newsreader.feeds.parse import FeedError

    folder = _cli()._folder(args.dir)
    try:
        subs = load_subscriptions(folder)
    except FeedError as error:
        return _fail(str(error))
    sys.stdout.write(render_opml(subs, "newsreader subscriptions"))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from newsreader.feeds.fetch import feed_rows
    from newsreader.feeds.parse import FeedError

    library, _ = _cli()._open(args)
    try:
        rows = feed_rows(library.folder, library, _data_dir(args))
    except FeedError as error:
        return _fail(str(error))
    for row in rows:
        fetched = _iso(row.last_fetched)
        if args.json:
            data = {
                "url": row.url,
                "title": row.title,
                "topics": list(row.topics),
                "articles": row.articles,
                "unread": row.unread,
                "last_fetched": fetched,
                "last_error": row.last_error or None,
                "next_retry": _iso(row.next_retry),
            }
            print(json.dumps(data, ensure_ascii=False))
        else:
            failing = f"  error: {row.last_error}" if row.last_error else ""
            print(
                f"{row.url}  {row.title or '-'}  {row.articles} articles, {row.unread} unread,"
                f" fetched {fetched or 'never'}{failing}"
            )
    if not rows and not args.json:
        print(f"no feeds: 'newsreader feeds add {args.dir} URL' subscribes", file=sys.stderr)
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from newsreader.feeds.fetch import fetch_all
    from newsreader.feeds.parse import FeedError

    library, _ = _cli()._open(args)

    def show(_done: int, _total: int, result: FeedResult) -> None:
        if args.json:
            print(json.dumps(_result_json(result), ensure_ascii=False), flush=True)
        else:
            print(result.line(), flush=True)

    try:
        report = fetch_all(library.folder, library, _data_dir(args), progress=show)
    except FeedError as error:
        return _fail(str(error))
    totals = report.totals()
    if args.json:
        data = {
            "total": True,
            "feeds": len(report.feeds),
            "failed": len(report.failed),
            "new": totals.new,
            "updated": totals.updated,
            "unchanged": totals.unchanged,
            "seconds": round(report.seconds, 2),
        }
        print(json.dumps(data))
    else:
        print(report.summary())
        if not report.feeds:
            print(f"no feeds: 'newsreader feeds add {args.dir} URL' subscribes", file=sys.stderr)
    return 1 if report.failed else 0


def _cmd_save(args: argparse.Namespace) -> int:
    from newsreader.feeds.fetch import save_page
    from newsreader.feeds.http import FetchError
    from newsreader.feeds.parse import FeedError

    folder = _cli()._folder(args.dir)
    try:
        path = save_page(folder, _url(args.url))
    except (FeedError, FetchError) as error:
        return _fail(str(error))
    _cli()._open(args)  # sync: the page is in the library now
    print(f"saved {path}")
    return 0


def _result_json(result: FeedResult) -> dict[str, Any]:
    return {
        "url": result.url,
        "title": result.title,
        "status": result.status,
        "new": result.counts.new,
        "updated": result.counts.updated,
        "unchanged": result.counts.unchanged,
        "error": result.error or None,
        "warning": result.warning or None,
        "moved_to": result.moved_to or None,
    }


def _iso(epoch: int | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(epoch)) if epoch else None
