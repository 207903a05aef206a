"""The reader paints its first list with no extractor loaded (issue 20).

trafilatura, lxml and jusText take about 0.4 s to import; ``newsreader.ingest.clean`` pulls them
in. They are needed to parse a file, never to show the cache. Each check runs in a fresh
interpreter, since this one has long imported everything.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from newsreader.library.library import Library

ROOT = Path(__file__).resolve().parents[1]

#: What only parsing a file may import.
EXTRACTORS = ("trafilatura", "lxml", "justext", "htmldate", "newsreader.ingest.clean")

_LOADED = f"""
import json, sys
def loaded():
    return sorted(m for m in sys.modules if m in {EXTRACTORS!r} or m.split(".")[0] in {EXTRACTORS!r})
"""


def run(code: str) -> dict[str, list[str]]:
    """Run ``code`` (after the ``loaded()`` helper) in a new interpreter; its last line is JSON."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def indexed_seeds(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of seeds/ and a data dir holding its cache."""
    folder, data = tmp_path / "seeds", tmp_path / "data"
    shutil.copytree(ROOT / "seeds", folder)
    library = Library.open(folder, data)
    try:
        library.sync(workers=1)
    finally:
        library.close()
    return folder, data


def test_cli_entry_and_tui_app_import_no_extractor() -> None:
    """What `newsreader DIR` imports before the reader starts: the console script's module, its
    parser (every subcommand's, feeds included), the app."""
    found = run(
        "from newsreader import cli\n"
        "cli.build_parser()\n"
        "import newsreader.tui.app\n"
        "print(json.dumps({'loaded': loaded()}))\n"
    )
    assert found["loaded"] == []


def test_first_paint_and_no_change_sync_import_no_extractor(tmp_path: Path) -> None:
    """The app paints the cached seeds, a sync finds nothing changed: still no extractor. Then
    one file with a body to clean is parsed, and the extractor is there (the check can see it;
    front matter alone loads none)."""
    folder, data = indexed_seeds(tmp_path)
    found = run(
        "import asyncio\n"
        "from pathlib import Path\n"
        "from newsreader.library.library import Library\n"
        "from newsreader.tui.app import NewsReaderApp\n"
        f"library = Library.open(Path({str(folder)!r}), Path({str(data)!r}))\n"
        "async def paint():\n"
        "    app = NewsReaderApp(library, sync_on_start=False)\n"
        "    async with app.run_test(size=(100, 30)) as pilot:\n"
        "        while not app.articles.rowids:\n"
        "            await pilot.pause(0.01)\n"
        "        await app.workers.wait_for_complete()\n"
        "        return len(app.articles.rowids)\n"
        "rows = asyncio.run(paint())\n"
        "painted = loaded()\n"
        "report = library.sync(workers=1)\n"
        "synced = loaded()\n"
        "from newsreader.ingest.load import load_file\n"
        "load_file(sorted(Path(library.folder).iterdir())[3].as_posix())\n"  # a page dump
        "print(json.dumps({'rows': [rows], 'painted': painted, 'synced': synced,\n"
        "                  'changed': [report.added, report.updated, report.unchanged],\n"
        "                  'parsed': loaded()}))\n"
    )
    assert found["rows"] == [5]
    assert found["painted"] == []
    assert found["changed"] == [0, 0, 5]  # a real no-change sync, not a stopped one
    assert found["synced"] == []
    assert "newsreader.ingest.clean" in found["parsed"]
    assert "trafilatura" in found["parsed"]


#: What only a fetch may import: the HTTP client, the feed parser and the feeds' writer. They
#: cost 0.2-0.4 s of every start (issue 20).
FEEDS_ONLY = (
    "httpx",
    "httpcore",
    "feedparser",
    "html2text",
    "newsreader.feeds.fetch",
    "newsreader.feeds.store",
)

_FEEDS_LOADED = f"""
import json, sys
def feeds_loaded():
    return sorted(m for m in sys.modules if m in {FEEDS_ONLY!r} or m.split(".")[0] in {FEEDS_ONLY!r})
"""


def run_feeds_probe(code: str) -> dict[str, list[str]]:
    """``run`` with a ``feeds_loaded()`` helper as well."""
    return run(_FEEDS_LOADED + code)


def test_cli_list_and_tui_start_import_no_feeds_code(tmp_path: Path) -> None:
    """`newsreader list DIR` and the reader's start (its parser holds the feed subcommands, its
    screen the feed actions) load no HTTP client, feed parser or feed writer; a fetch does."""
    folder, data = indexed_seeds(tmp_path)
    found = run_feeds_probe(
        "import contextlib, io, os\n"
        f"os.environ['NEWSREADER_DATA_DIR'] = {str(data)!r}\n"
        "from newsreader import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    code = cli.main(['list', {str(folder)!r}])\n"
        "listed = feeds_loaded()\n"
        "import newsreader.tui.app\n"
        "started = feeds_loaded()\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    cli.main(['fetch', {str(folder)!r}])\n"
        "print(json.dumps({'code': [code], 'lines': [len(out.getvalue().splitlines())],\n"
        "                  'listed': listed, 'started': started, 'fetched': feeds_loaded()}))\n"
    )
    assert found["code"] == [0]
    assert found["lines"] == [5]
    assert found["listed"] == []
    assert found["started"] == []
    assert "newsreader.feeds.fetch" in found["fetched"]  # the probe sees what a fetch loads


#: What a sync's parsing brings (YAML, mail, the front-matter reader): the first paint of a
#: cached folder reads none of it, and choosing the pool's start method needs none of it.
PARSING_ONLY = ("newsreader.library.parsing", "newsreader.ingest.load", "yaml", "yaml_rs")


def test_reader_start_imports_no_parsing_code(tmp_path: Path) -> None:
    """The app's start (its process helpers included) paints the cached seeds without the
    parsing modules: they cost about 0.1 s of CPU before the first paint. A sync that parses
    loads them (the probe can see them)."""
    folder, data = indexed_seeds(tmp_path)
    (folder / "new.md").write_text("---\ntitle: A new one\n---\nIts body.\n", encoding="utf-8")
    found = run(
        "import asyncio\n"
        "from pathlib import Path\n"
        "from newsreader.library.library import Library\n"
        "from newsreader.tui.app import NewsReaderApp\n"
        f"parsing = {PARSING_ONLY!r}\n"
        "def parsing_loaded():\n"
        "    return sorted(m for m in sys.modules if m in parsing)\n"
        f"library = Library.open(Path({str(folder)!r}), Path({str(data)!r}))\n"
        "async def paint():\n"
        "    app = NewsReaderApp(library, sync_on_start=False)\n"
        "    async with app.run_test(size=(100, 30)) as pilot:\n"
        "        while not app.articles.rowids:\n"
        "            await pilot.pause(0.01)\n"
        "        await app.workers.wait_for_complete()\n"
        "asyncio.run(paint())\n"
        "painted = parsing_loaded()\n"
        "report = library.sync(workers=1)\n"
        "print(json.dumps({'painted': painted, 'added': [report.added],\n"
        "                  'synced': parsing_loaded()}))\n"
    )
    assert found["painted"] == []
    assert found["added"] == [1]
    assert "newsreader.ingest.load" in found["synced"]


def test_the_reader_module_does_not_import_the_exporter() -> None:
    """The exporter (xml.sax, json) is for e; importing the app does not load it."""
    probe = "import sys, newsreader.tui.app; print('newsreader.export' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_app_module_does_not_import_the_markdown_parser() -> None:
    """markdown_it (about 50 ms of CPU) comes with the reader's first body, after the first
    paint, not with the app's import."""
    probe = "import sys, newsreader.tui.app; print('markdown_it' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
