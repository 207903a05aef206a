# ruff: noqa: F811 - the server fixture is imported, and named as a parameter
"""The feed commands end to end, against a real server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feed_fixtures import docs
from feed_fixtures.server import FeedServer, loopback_only, server  # noqa: F401 - fixtures
from newsreader.cli import main
from newsreader.feeds.store import article_id
from newsreader.ingest.urls import canonical_url
from newsreader.library.library import Library

OPML = """<?xml version="1.0"?>
<opml version="1.0"><head><title>mine</title></head><body>
<outline text="Tech"><outline text="AI">
<outline text="Two" type="rss" xmlUrl="{two}"/></outline></outline>
<outline text="Atom" type="rss" xmlUrl="{atom}" htmlUrl="https://atom.example/"/>
<outline text="Bad" type="rss" xmlUrl="file:///etc/passwd"/>
</body></opml>"""


@pytest.fixture
def folder(tmp_path: Path, data_dir: Path) -> Path:
    path = tmp_path / "news"
    path.mkdir()
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_subscribe_fetch_list_read(
    server: FeedServer, folder: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add("/blog/feed.xml", docs.RSS20)
    page = server.add("/blog/", docs.HTML_PAGE)
    code, out, _ = _run(capsys, "feeds", "add", str(folder), page, "--title", "My blog")
    assert code == 0 and "subscribed: My blog" in out
    code, out, _ = _run(capsys, "fetch", str(folder))
    assert code == 0
    assert "My blog: 2 new, 0 updated, 0 unchanged" in out
    assert "1 feeds, 0 failed: 2 new" in out
    code, out, _ = _run(capsys, "list", str(folder), "--json")
    titles = {json.loads(line)["title"] for line in out.splitlines()}
    assert titles == {"Koalas sleep twenty hours", "Second story"}
    # Read one: the feed list counts it.
    library = Library.open(folder, data_dir)
    library.set_read([article_id(canonical_url("https://two.example/koalas"), b"", "")])
    library.close()
    code, out, _ = _run(capsys, "feeds", "list", str(folder), "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["title"], row["articles"], row["unread"], row["last_error"]) == (
        "My blog",
        2,
        1,
        None,
    )
    assert row["last_fetched"]


def test_article_ids_match_the_library(
    server: FeedServer, folder: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # With and without a link: the ids the feed state keeps are the library's.
    _run(capsys, "feeds", "add", str(folder), server.add("/m", docs.MISSING))
    assert _run(capsys, "fetch", str(folder))[0] == 0
    library = Library.open(folder, data_dir)
    from newsreader.feeds.store import FeedState

    state = FeedState(folder, data_dir)
    pairs = state.items_of(server.url("/m"))
    assert len(pairs) == 4
    for path, ident in pairs:
        article = library.article(ident)
        assert article is not None and article.path == str(folder.resolve() / path)
    library.close()


def test_fetch_exits_1_when_a_feed_fails_after_saving_the_others(
    server: FeedServer, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "feeds", "add", str(folder), server.add("/ok", docs.ATOM))
    (folder / ".feeds.opml").write_text(
        (folder / ".feeds.opml")
        .read_text()
        .replace("</body>", f'<outline text="gone" xmlUrl="{server.url("/gone")}"/></body>')
    )
    code, out, err = _run(capsys, "fetch", str(folder), "--json")
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    by_status = {line.get("status"): line for line in lines}
    assert by_status["failed"]["error"] == "HTTP 404 Not Found"
    assert by_status["updated"]["new"] == 1
    assert lines[-1]["total"] and lines[-1]["failed"] == 1
    assert list((folder / "feeds").rglob("*.md"))


def test_import_export_remove(
    server: FeedServer, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two, atom = server.url("/two"), server.url("/atom")
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML.format(two=two, atom=atom))
    code, out, _ = _run(capsys, "feeds", "import", str(folder), str(opml))
    assert code == 0 and "imported 2 feeds" in out
    assert (
        "imported 0 feeds (2 already" in _run(capsys, "feeds", "import", str(folder), str(opml))[1]
    )
    code, out, _ = _run(capsys, "feeds", "export", str(folder))
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert f'xmlUrl="{two}"' in out and "passwd" not in out
    # Nested outlines are topics; the export nests them the same way.
    assert out.index('text="Tech"') < out.index('text="AI"') < out.index(two)
    server.add("/two", docs.RSS20)
    server.add("/atom", docs.ATOM)
    _run(capsys, "fetch", str(folder))
    code, out, _ = _run(capsys, "list", str(folder), "--json")
    topics = {json.loads(line)["title"]: json.loads(line)["topics"] for line in out.splitlines()}
    assert topics["Second story"][:2] == ["Tech", "AI"]
    code, out, _ = _run(capsys, "feeds", "remove", str(folder), two)
    assert code == 0 and "unsubscribed" in out
    assert len(list((folder / "feeds").rglob("*.md"))) == 3  # the articles stay
    code, _, err = _run(capsys, "feeds", "remove", str(folder), two)
    assert code == 1 and err.startswith("newsreader: not subscribed")


def test_errors_are_one_line(
    server: FeedServer, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "feeds", "add", str(folder), "ftp://example.com/feed")
    assert code == 2 and "not an http(s) URL" in err
    code, _, err = _run(capsys, "feeds", "add", str(folder), server.add("/p", "<html>hi</html>"))
    assert code == 1 and err.count("\n") == 1 and "no feed" in err
    bomb = tmp_path / "bomb.opml"
    bomb.write_text(docs.BILLION_LAUGHS.replace("rss", "opml"))
    code, _, err = _run(capsys, "feeds", "import", str(folder), str(bomb))
    assert code == 1 and "entity expansion" in err
    code, _, err = _run(capsys, "feeds", "list", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in err
    code, _, err = _run(capsys, "feeds")
    assert code == 2


def test_save_page(server: FeedServer, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = server.add("/story", docs.ARTICLE_PAGE)
    code, out, _ = _run(capsys, "save", str(folder), url)
    assert code == 0 and out.startswith("saved ")
    code, out, _ = _run(capsys, "list", str(folder), "--json")
    (article,) = [json.loads(line) for line in out.splitlines()]
    assert article["title"] == "Saved page title"
    code, _, err = _run(capsys, "save", str(folder), server.url("/nothing"))
    assert code == 1 and "HTTP 404" in err
