"""The command line: ``newsreader DIR`` opens the reader; subcommands script the library.

Errors are one line on stderr: exit 2 for usage, 1 for failure, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from newsreader import __version__, completion, helptext, printing
from newsreader.ingest.sanitize import display_path
from newsreader.paths import UnsafeDataDir

#: Hits ``search`` prints unless ``--limit`` says otherwise: the ranked top, about one screen
#: (two lines a hit). Each costs a snippet, about 0.3 ms of tokenising at 100,000 articles.
SEARCH_LIMIT = 25

#: "feeds", "fetch" and "save" are newsreader.feeds.cli's.
COMMANDS: tuple[str, ...] = ("list", "show", "index", "search", "problems", "stories", "export")
COMMANDS += ("config", "feeds", "fetch", "save")
COMMANDS += ("cache", "completion")
SHELLS = ("bash", "zsh", "fish")  # what ``completion`` writes scripts for (shtab's names)
#: The distribution's name on the package index ("newsreader" there is another project).
DISTRIBUTION = "newsreader-tui"


class UsageError(Exception):
    """Bad arguments: exit 2."""


class BadQuery(UsageError):
    """A search that cannot be read (``after:2021-13-45``): exit 2, its message is the hint."""


class Failure(Exception):
    """The command could not do what was asked (no such story, say): exit 1, with no hint
    about usage, since the usage was right."""


def _version() -> str:
    import importlib.metadata as metadata  # slow to import: only when the version is asked

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with every subcommand."""
    parser = _Parser(
        prog="newsreader",
        description=helptext.DESCRIPTION,
        epilog=helptext.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action=completion.version_action(_version), help="print the version"
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the cache and your state live "
        "(default: $NEWSREADER_DATA_DIR, the config file's data_dir or the user data dir)",
    ).complete = completion.DIRECTORY  # type: ignore[attr-defined]
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, title="commands"
    )

    def command(name: str, epilog: str | None = None) -> argparse.ArgumentParser:
        summary, description = helptext.COMMANDS[name]
        return sub.add_parser(
            name,
            help=summary,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    def folder(p: argparse.ArgumentParser, no_sync: bool = False) -> None:
        p.add_argument("dir", metavar="DIR", help="the folder of articles").complete = (  # type: ignore[attr-defined]
            completion.DIRECTORY
        )
        if no_sync:
            p.add_argument("--no-sync", action="store_true", help=helptext.NO_SYNC_HELP)

    p = command("list")
    folder(p, no_sync=True)
    p.add_argument("--json", action="store_true", help="JSON Lines, one object per article")
    p.add_argument("--query", "-q", default="", help=helptext.QUERY_HELP)

    p = command("show")
    p.add_argument("paths", nargs="+", metavar="PATH", help="article files").complete = (  # type: ignore[attr-defined]
        completion.FILE
    )
    p.add_argument("--json", action="store_true", help="JSON Lines including the cleaned body")
    p.add_argument("--no-sync", action="store_true", help="show never syncs (accepted for scripts)")
    p.add_argument(
        "--text", action="store_true", help="plain-text body: no Markdown, no link targets"
    )

    p = command("index")
    folder(p)
    p.add_argument("--json", action="store_true", help="the counts as one JSON object")
    p.add_argument(
        "--full", action="store_true", help="re-read every file, even those that look unchanged"
    )

    p = command("search", helptext.SEARCH_EPILOG)
    folder(p, no_sync=True)
    p.add_argument("query", nargs="*", metavar="QUERY", help="words and operators (below)")
    p.add_argument(
        "--json",
        action="store_true",
        help="JSON Lines, one object per hit, with its snippet (matches in [brackets])",
    )
    p.add_argument(
        "--limit",
        type=_count,
        default=SEARCH_LIMIT,
        help=f"the best this many hits (default {SEARCH_LIMIT}; 0 for all of them)",
    )

    p = command("problems")
    folder(p)
    p.add_argument("--json", action="store_true", help="JSON Lines: path and reason")

    p = command("stories")
    folder(p, no_sync=True)
    p.add_argument("--json", action="store_true", help="JSON Lines, one object per story")
    p.add_argument("--limit", type=int, default=1000, help="at most this many stories")

    p = command("export", helptext.SEARCH_SYNTAX)
    folder(p, no_sync=True)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--query", "-q", default="", help=helptext.QUERY_HELP)
    which.add_argument("--story", help="the articles of one story (ids from 'stories')")
    which.add_argument("--id", dest="article_ids", action="append", help="one article (repeatable)")
    p.add_argument(
        "--format",
        "-f",
        default="markdown",
        choices=["markdown", "jsonl", "opml", "html"],
        help=helptext.EXPORT_FORMAT_HELP,
    )
    p.add_argument("--output", "-o", help="a file to write (default: stdout)").complete = (  # type: ignore[attr-defined]
        completion.FILE
    )
    p.add_argument("--force", action="store_true", help="overwrite the --output file if it exists")

    p = command("config")
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--path", action="store_true", help="print where the config file is")
    action.add_argument("--init", action="store_true", help="write a commented default config")
    action.add_argument("--check", action="store_true", help="report problems in the config file")

    p = command("cache")
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--list", action="store_true", help="each cache: its size, its folder, and if it exists"
    )
    action.add_argument(
        "--prune", action="store_true", help="remove the caches of folders that no longer exist"
    )

    p = command("completion")
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help=", ".join(SHELLS))
    from newsreader.feeds.cli import add_parsers  # feeds, fetch, save: each sets its handler

    add_parsers(sub)
    for choice in sub._choices_actions:  # a command added without a description has its summary
        command_parser = sub.choices[choice.dest]
        command_parser.description = command_parser.description or choice.help
        for argument in command_parser._actions:
            if argument.dest == "dir" and not argument.help:
                argument.help, argument.metavar = "the folder of articles", "DIR"
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsreader`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    printing.written.clear()  # kept across a recovery's second run only, never across calls
    try:
        return _dispatch(args_list)
    except UsageError as error:
        print(f"newsreader: {error}", file=sys.stderr)
        if not isinstance(error, BadQuery):
            print("Try 'newsreader --help'.", file=sys.stderr)
        return 2
    except UnsafeDataDir as error:
        print(f"newsreader: {display_path(str(error))}", file=sys.stderr)
        return 2
    except Failure as error:
        print(f"newsreader: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "newsreader: interrupted; the next run carries on where this one stopped",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001 - the promise is: never a traceback
        print(f"newsreader: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def _dispatch(argv: list[str]) -> int:
    parser = build_parser()
    # `newsreader DIR` (no subcommand) opens the reader.
    first = _first_positional(argv)
    if first is not None and first not in COMMANDS:
        _check_command(first, argv)
        if "-h" not in argv and "--help" not in argv:
            return _run_tui(parser, argv)
    args, extras = parser.parse_known_args(argv)
    if extras:
        # `search DIR nypd -police`: a `-word` is part of the query, not an option.
        if args.command != "search" or any(e.startswith("--") or e == "-" for e in extras):
            raise UsageError(f"unrecognized arguments: {' '.join(extras)}")
        args.query = [*args.query, *extras]
    if args.command == "search":
        args.query = " ".join(args.query)
        if not args.query.strip():
            raise UsageError("search needs a query")
    if isinstance(getattr(args, "query", None), str) and args.query:
        from newsreader.library.query import problem

        if (message := problem(args.query)) is not None:
            raise BadQuery(message)
    if args.command is None:
        parser.print_help()
        return 2
    handler: Callable[[argparse.Namespace], int] = (
        getattr(args, "handler", None) or globals()[f"_cmd_{args.command}"]
    )
    try:
        return handler(args)
    except Exception as error:
        # Damage that the cheap checks at opening cannot see (a page deep in the file) shows
        # only when that page is read: set the cache aside and run the command once more.
        from newsreader.library import db

        library = _OPENED.pop() if _OPENED else None
        if library is None or not db.is_damage(error):
            raise
        aside = library.set_cache_aside()
        print(
            f"newsreader: the cache was damaged ({error}); it was moved aside to {aside}"
            " and is rebuilt (your read and starred state is kept apart and untouched)",
            file=sys.stderr,
        )
        return handler(args)


#: The library a command opened, so that damage met while using it can be recovered from.
_OPENED: list[Any] = []


def _first_positional(argv: list[str]) -> str | None:
    """The first argument that is neither an option nor an option's value."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--data-dir":
            skip = True
            continue
        if arg == "--":
            continue
        if not arg.startswith("-"):
            return arg
    return None


def _check_command(first: str, argv: list[str]) -> None:
    """``newsreader serach seeds nypd``: a word that is not a folder, where a command would be,
    is a mistyped command (a folder is only ever followed by options)."""
    if "/" in first or Path(first).expanduser().exists():
        return  # a path: a missing one is reported as a missing folder
    close = difflib.get_close_matches(first, COMMANDS, n=1)
    if close:
        raise UsageError(f"unknown command {first!r} (did you mean {close[0]!r}?)")
    if len([a for a in argv if not a.startswith("-")]) > 1 or "-h" in argv or "--help" in argv:
        raise UsageError(f"unknown command {first!r} (the commands: {', '.join(COMMANDS)})")


def _run_tui(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    tui = _Parser(prog="newsreader", add_help=False)
    tui.add_argument("--data-dir")
    tui.add_argument("dir")
    args = tui.parse_args(argv)
    folder = _folder(args.dir)
    # Without a terminal the app cannot draw or read keys: it would wait for ever, writing
    # escape sequences into whatever file stands in for the screen.
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "the reader needs a terminal (stdin and stdout are not one here);"
            " for a script use a command, like 'newsreader list DIR'"
        )
    from newsreader import config, paths

    paths.data_dir(args.data_dir, config.load().data_dir)  # refuse / or $HOME before starting
    from newsreader.tui.app import run

    return run(str(folder), args.data_dir)


def _folder(path: str) -> Path:
    folder = Path(path).expanduser()
    if not folder.exists():
        raise UsageError(f"no such folder: {display_path(path)}")
    if not folder.is_dir():
        raise UsageError(f"not a folder: {display_path(path)}")
    return folder


def _open(args: argparse.Namespace, *, quiet: bool = True, polish: bool = False) -> Any:
    from newsreader import config, paths
    from newsreader.library.library import Library

    settings = config.load()
    for problem in settings.problems:  # the defaults stand in; say so, one line each
        print(f"newsreader: {problem}", file=sys.stderr)
    library = Library.open(
        _folder(args.dir),
        paths.data_dir(args.data_dir, settings.data_dir),
        follow_symlinks_outside=settings.follow_symlinks_outside,
    )
    _OPENED[:] = [library]
    for warning in library.warnings:
        print(f"newsreader: {warning}", file=sys.stderr)
    if getattr(args, "no_sync", False):
        return library, None  # the script knows the cache is fresh
    from newsreader.index_progress import synced  # a bar on a terminal, then the phases

    warned = len(library.warnings)
    report = synced(library, quiet=quiet, full=getattr(args, "full", False), polish=polish)
    for warning in library.warnings[warned:]:  # the disk filled up on the way, say
        print(f"newsreader: {warning}", file=sys.stderr)
    return library, report


def _cmd_list(args: argparse.Namespace) -> int:
    from newsreader.library.library import View

    library, _ = _open(args)
    rowids = library.rowids(View(query=args.query))
    if args.json:
        printing.json_lines(library, rowids, args.query)
    else:
        printing.lines(library.text_lines(rowids))  # no snippets: the list never shows them
    return 0


def _count(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value}")
    return value


def _cmd_search(args: argparse.Namespace) -> int:
    from newsreader.library.library import View

    library, _ = _open(args)
    ranked = library.rowids(View(query=args.query))
    shown = ranked[: args.limit] if args.limit > 0 else ranked
    # Snippets only for the hits shown: each one tokenises its article again.
    if args.json:
        printing.json_lines(library, shown, args.query)
    else:
        printing.rows(library.rows(shown, args.query), snippets=True)
    if waiting := library.bodies_pending():  # another index is cleaning them
        print(f"partial results: {waiting:,} articles found by title only", file=sys.stderr)
    if not shown and not args.json:
        print("no matches", file=sys.stderr)
    elif len(shown) < len(ranked):
        print(
            f"the best {len(shown):,} of {len(ranked):,} hits: --limit 0 shows them all",
            file=sys.stderr,
        )
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    library, report = _open(args, quiet=args.json, polish=True)
    problems = library.problems()
    if args.json:
        counts = ("added", "updated", "removed", "skipped", "duplicates", "unchanged")
        data: dict[str, Any] = {name: getattr(report, name) for name in counts}
        data["seconds"] = round(report.seconds, 3)
        data["problems"] = len(problems)
        print(json.dumps(data))
        return 0
    print(report.summary())
    if problems:
        print(f"{len(problems)} files skipped: see 'newsreader problems {display_path(args.dir)}'")
    return 0


def _cmd_problems(args: argparse.Namespace) -> int:
    library, report = _open(args)
    problems = library.problems()
    for problem in problems:
        if args.json:
            data = {"path": display_path(problem.path), "reason": problem.reason}
            print(json.dumps(data, ensure_ascii=False))
        else:
            print(f"{display_path(problem.path)}: {problem.reason}")
    if not problems and not args.json:
        read = report.added + report.updated + report.unchanged
        print(f"No problems: {read:,} files read.")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from newsreader.ingest.load import load_file
    from newsreader.model import Problem

    failures = 0
    for path in args.paths:
        if not os.path.exists(path):
            print(f"newsreader: {display_path(path)}: no such file", file=sys.stderr)
            failures += 1
            continue
        result = load_file(path)
        if isinstance(result, Problem):
            print(f"newsreader: {display_path(path)}: {result.reason}", file=sys.stderr)
            failures += 1
            continue
        body = result.body
        if args.text and body:
            from newsreader.ingest.clean import to_text  # the extractor's module: 0.3 s

            body = to_text(body)
        if args.json:
            data = result.to_json(with_body=True)
            data["body"] = body
            data["path"] = display_path(result.path)
            data["paths"] = [display_path(path) for path in result.paths]
            print(json.dumps(data, ensure_ascii=False))
        else:
            print(f"# {result.title}\n")
            meta = " · ".join(
                x
                for x in (
                    result.provider,
                    result.published.date().isoformat() if result.published else "",
                    result.url,
                )
                if x
            )
            if meta:
                print(meta + "\n")
            print(body or result.excerpt)
            print()
    return 1 if failures else 0


def _cmd_stories(args: argparse.Namespace) -> int:
    library, _ = _open(args)
    for story in library.stories(limit=max(1, args.limit)):
        rows = library.story_rows(story.id)
        if args.json:
            data = {
                "story": story.id,
                "size": story.size,
                "newest": story.newest.isoformat() if story.newest else None,
                "title": story.title,
                "articles": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "provider": r.provider,
                        "published": r.published.isoformat() if r.published else None,
                    }
                    for r in rows
                ],
            }
            print(json.dumps(data, ensure_ascii=False))
        else:
            print(f"{story.id}  {story.size} reports  {story.title}")
            for row in rows:
                date = row.published.strftime("%Y-%m-%d") if row.published else "          "
                source = f"  ({row.provider})" if row.provider else ""
                print(f"    {date}  {row.title}{source}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from newsreader.export import render, write_new
    from newsreader.library.library import View

    library, _ = _open(args)
    if args.article_ids:
        articles = [library.article(i) for i in args.article_ids]
        missing = [i for i, a in zip(args.article_ids, articles, strict=True) if a is None]
        if missing:
            raise Failure(f"no such article id: {', '.join(missing)}")
        title = "newsreader export"
    elif args.story:
        rowids = [r.rowid for r in library.story_rows(args.story)]
        if not rowids:
            raise Failure(f"no such story: {args.story}")
        articles = [library.article(r) for r in rowids]
        title = f"Story: {articles[0].title}" if articles and articles[0] else "Story"
    else:
        articles = [library.article(r) for r in library.rowids(View(query=args.query))]
        title = f"Search: {args.query}" if args.query else "All articles"
    found = [a for a in articles if a is not None]
    if not found:
        print("newsreader: no articles match", file=sys.stderr)
    written = len(found)
    if args.format in ("opml", "html"):
        # A link list has nothing to show for an article without a URL: say so, not silently.
        unlinked = sum(1 for a in found if not (a.url or a.web_url))
        written -= unlinked
        if unlinked:
            print(f"newsreader: left out {unlinked} article(s) with no URL", file=sys.stderr)
    text = render(found, args.format, title)
    if args.output:
        try:
            write_new(Path(args.output).expanduser(), text, force=args.force)
        except FileExistsError:
            raise Failure(
                f"{display_path(args.output)} exists; nothing was written (--force overwrites it)"
            ) from None
        print(f"wrote {written} articles to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_config(args: argparse.Namespace) -> int:
    from newsreader import config, paths

    path = paths.config_file()
    if args.path:
        print(path)
        return 0
    if args.init:
        try:
            config.init(path)
        except FileExistsError:
            print(f"newsreader: {path} already exists; not overwritten", file=sys.stderr)
            return 1
        print(f"wrote {path}")
        return 0
    from newsreader.tui.commands import binding_ids, theme_names  # Textual: only for --check

    cfg = config.load(path)
    problems = cfg.problems + config.check_names(cfg, theme_names(), binding_ids())
    for problem in problems:
        print(problem)
    if not problems:
        print(
            f"{path}: no problems" if path.exists() else f"{path} does not exist: defaults are used"
        )
    return 1 if problems else 0


def _cmd_cache(args: argparse.Namespace) -> int:
    from newsreader import caches, config, paths

    base = paths.data_dir(args.data_dir, config.load().data_dir)
    for line in caches.prune_lines(base) if args.prune else caches.list_lines(base):
        print(line)
    return 0


def _cmd_completion(args: argparse.Namespace) -> int:
    print(completion.script(build_parser(), args.shell), end="")
    return 0
