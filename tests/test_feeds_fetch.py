# ruff: noqa: F811 - the server fixture is imported, and named as a parameter
"""Fetching feeds from a real HTTP server on 127.0.0.1: HTTP behaviour, what is written, and
how a second fetch treats what the first one saved."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from feed_fixtures import docs
from feed_fixtures.server import FeedServer, loopback_only, server  # noqa: F401 - fixtures
from newsreader.feeds.fetch import fetch_all, save_page, subscribe
from newsreader.feeds.http import MAX_REDIRECTS, USER_AGENT, Fetcher, FetchError
from newsreader.feeds.opml import Subscription, load_subscriptions, save_subscriptions
from newsreader.feeds.store import FeedState
from newsreader.ingest.load import load_file
from newsreader.library.library import Library
from newsreader.model import Article


def _subscribe(folder: Path, *urls: str) -> None:
    save_subscriptions(folder, [Subscription(url) for url in urls])


def _files(folder: Path) -> list[Path]:
    return sorted((folder / "feeds").rglob("*.md"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "news"
    path.mkdir()
    return path


def _fetch(folder: Path, data_dir: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return fetch_all(folder, None, data_dir, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("doc", "ctype"),
    [
        (docs.RSS091, "text/xml"),
        (docs.RSS20, "application/rss+xml"),
        (docs.RDF, "application/rdf+xml"),
        (docs.ATOM, "application/atom+xml"),
        (docs.JSON_FEED, "application/feed+json"),
    ],
)
def test_formats_are_fetched_and_written(
    server: FeedServer, folder: Path, data_dir: Path, doc: str, ctype: str
) -> None:
    url = server.add("/feed", doc, headers={"Content-Type": ctype})
    _subscribe(folder, url)
    report = _fetch(folder, data_dir)
    assert not report.failed, report.feeds[0].line()
    files = _files(folder)
    assert files and report.totals().new == len(files)
    article = load_file(str(files[0]))
    assert isinstance(article, Article) and article.title
    assert article.extras["feedUrl"] == url and article.extras["guid"]


def test_written_file_has_the_seed_keys(server: FeedServer, folder: Path, data_dir: Path) -> None:
    _subscribe(folder, server.add("/two", docs.RSS20))
    _fetch(folder, data_dir)
    koala = next(p for p in _files(folder) if "koalas" in p.name)
    article = load_file(str(koala))
    assert isinstance(article, Article)
    assert article.title == "Koalas sleep twenty hours"
    assert article.url == article.web_url == "https://two.example/koalas"
    assert article.published is not None and article.published.year == 2021
    assert article.provider == "Two News" and article.domain == "two.example"
    assert article.topics == ["Animals", "Science"]
    assert [i.url for i in article.images][0] == "https://two.example/koala.jpg"
    assert "eucalyptus" in article.body and "<p>" not in article.body  # ingest read the HTML
    assert not list(folder.rglob(".tmp-*"))  # atomic writes leave no temporary file


def test_user_agent_and_etag_304(server: FeedServer, folder: Path, data_dir: Path) -> None:
    url = server.add("/e", docs.RSS20, etag='"v1"')
    _subscribe(folder, url)
    first = _fetch(folder, data_dir)
    second = _fetch(folder, data_dir)
    assert first.totals().new == 2
    assert second.feeds[0].status == "not modified" and second.totals().new == 0
    hits = server.hits("/e")
    assert hits[0]["user-agent"] == USER_AGENT and "newsreader/" in USER_AGENT
    assert "if-none-match" not in hits[0] and hits[1]["if-none-match"] == '"v1"'


def test_last_modified_304(server: FeedServer, folder: Path, data_dir: Path) -> None:
    stamp = formatdate(1_600_000_000, usegmt=True)
    _subscribe(folder, server.add("/lm", docs.RSS20, last_modified=stamp))
    _fetch(folder, data_dir)
    assert _fetch(folder, data_dir).feeds[0].status == "not modified"
    assert server.hits("/lm")[1]["if-modified-since"] == stamp


def test_gzip(server: FeedServer, folder: Path, data_dir: Path) -> None:
    _subscribe(folder, server.add("/gz", docs.RSS20, gzip=True))
    report = _fetch(folder, data_dir)
    assert report.totals().new == 2
    assert "gzip" in server.hits("/gz")[0]["accept-encoding"]


def test_permanent_redirect_updates_the_subscription(
    server: FeedServer, folder: Path, data_dir: Path
) -> None:
    new = server.add("/new", docs.RSS20)
    old = server.add("/old", status=301, headers={"Location": "/new"})
    _subscribe(folder, old)
    report = _fetch(folder, data_dir)
    assert report.totals().new == 2 and report.feeds[0].moved_to == new
    assert [s.url for s in load_subscriptions(folder)] == [new]
    # The items now belong to the new address: a second fetch finds them known.
    assert _fetch(folder, data_dir).totals().new == 0
    assert not server.hits("/old")[1:]


def test_temporary_redirect_keeps_the_subscription(
    server: FeedServer, folder: Path, data_dir: Path
) -> None:
    server.add("/now", docs.RSS20)
    old = server.add("/tmp", status=302, headers={"Location": "/now"})
    _subscribe(folder, old)
    assert _fetch(folder, data_dir).totals().new == 2
    assert [s.url for s in load_subscriptions(folder)] == [old]


def test_redirect_loop_and_too_many_redirects(server: FeedServer) -> None:
    server.add("/a", status=302, headers={"Location": "/b"})
    server.add("/b", status=302, headers={"Location": "/a"})
    for n in range(MAX_REDIRECTS + 1):
        server.add(f"/r{n}", status=301, headers={"Location": f"/r{n + 1}"})
    server.add(f"/r{MAX_REDIRECTS + 1}", docs.RSS20)
    server.add("/js", status=302, headers={"Location": "javascript:alert(1)"})
    with Fetcher() as http:
        with pytest.raises(FetchError, match="redirect loop"):
            http.get(server.url("/a"))
        with pytest.raises(FetchError, match="more than 5 redirects"):
            http.get(server.url("/r0"))
        assert http.get(server.url("/r1")).status == 200  # exactly five is fine
        with pytest.raises(FetchError, match="bad URL"):
            http.get(server.url("/js"))
        with pytest.raises(FetchError, match="not an http"):
            http.get("file:///etc/passwd")


def test_errors_fail_one_feed_and_the_others_are_saved(
    server: FeedServer, folder: Path, data_dir: Path
) -> None:
    good = server.add("/good", docs.RSS20)
    missing = server.url("/missing")
    broken = server.add("/500", "oops", status=500)
    _subscribe(folder, missing, good, broken)
    report = _fetch(folder, data_dir)
    errors = {f.url: f.error for f in report.failed}
    assert errors == {missing: "HTTP 404 Not Found", broken: "HTTP 500 Internal Server Error"}
    assert len(_files(folder)) == 2
    state = FeedState(folder, data_dir)
    assert state.record(missing).last_error == "HTTP 404 Not Found"
    assert state.record(good).last_success is not None


def test_retry_after_is_honoured(server: FeedServer, folder: Path, data_dir: Path) -> None:
    url = server.add("/busy", "slow down", status=429, headers={"Retry-After": "120"})
    _subscribe(folder, url)
    now = time.time()
    first = _fetch(folder, data_dir, now=now)
    assert first.failed and "HTTP 429" in first.failed[0].error
    retry = FeedState(folder, data_dir).record(url).next_retry
    assert retry is not None and now + 100 < retry <= now + 121
    second = _fetch(folder, data_dir, now=now + 60)
    assert second.feeds[0].status == "waiting" and not second.failed
    assert len(server.hits("/busy")) == 1  # not asked again before its time
    _fetch(folder, data_dir, now=now + 200)
    assert len(server.hits("/busy")) == 2


def test_503_with_an_http_date(server: FeedServer) -> None:
    later = formatdate(time.time() + 3600, usegmt=True)
    server.add("/down", status=503, headers={"Retry-After": later})
    with Fetcher() as http, pytest.raises(FetchError) as caught:
        http.get(server.url("/down"))
    assert caught.value.retry_at is not None and caught.value.retry_at > time.time() + 3000


def test_slow_server_times_out(server: FeedServer, folder: Path, data_dir: Path) -> None:
    _subscribe(folder, server.add("/slow", docs.RSS20, delay=3), server.add("/fast", docs.RSS20))
    started = time.monotonic()
    with Fetcher(timeout=0.5) as http:
        report = _fetch(folder, data_dir, fetcher=http)
    assert time.monotonic() - started < 2.5
    assert [f.error for f in report.failed] == ["timed out after 0.5 s"]
    assert report.totals().new == 2


def test_oversized_feed_is_stopped(server: FeedServer) -> None:
    big = docs.rss("".join(docs.item(n) for n in range(3000)))
    server.add("/big", big)
    # A body with no Content-Length, streamed: stopped at the cap all the same.
    server.add("/stream", handler=lambda h: (200, {}, big.encode()))
    with Fetcher() as http:
        with pytest.raises(FetchError, match="too large"):
            http.get(server.url("/big"), limit=100_000)
        assert len(http.get(server.url("/big")).body) == len(big)


def test_hostile_feeds_end_with_a_clear_error_or_bounded_items(
    server: FeedServer, folder: Path, data_dir: Path
) -> None:
    bomb = server.add("/bomb", docs.BILLION_LAUGHS)
    broken = server.add("/broken", docs.MALFORMED)
    html = server.add("/page", "<html><body>no feed here</body></html>")
    _subscribe(folder, bomb, broken, html)
    report = _fetch(folder, data_dir)
    by_url = {f.url: f for f in report.feeds}
    assert "entity expansion" in by_url[bomb].error
    assert "no feed" in by_url[html].error or "not a feed" in by_url[html].error
    assert by_url[broken].status == "updated" and by_url[broken].counts.new >= 2
    assert "damaged feed" in by_url[broken].line()


def test_hostile_items_are_written_safely(server: FeedServer, folder: Path, data_dir: Path) -> None:
    _subscribe(
        folder,
        server.add("/hostile", docs.HOSTILE_TITLES),
        server.add("/legacy", docs.LEGACY),
        server.add("/missing", docs.MISSING),
        server.add("/dupes", docs.DUPLICATES),
        server.add("/rel", docs.RELATIVE),
    )
    report = _fetch(folder, data_dir)
    assert not report.failed
    raw = b"".join(p.read_bytes() for p in _files(folder))
    assert b"\x1b" not in raw and b"\x07" not in raw and "\u202e".encode() not in raw
    assert b"javascript:" not in raw
    articles = [load_file(str(p)) for p in _files(folder)]
    assert all(isinstance(a, Article) for a in articles)
    titles = {a.title for a in articles if isinstance(a, Article)}
    assert "Café crème \u2019quoted\u2019" in titles
    assert {"First copy", "Other"} <= titles and "Second copy" not in titles
    assert {"No guid", "No link", "No date"} <= titles


def test_changed_item_updates_its_file_and_keeps_id_and_read_state(
    server: FeedServer, folder: Path, data_dir: Path
) -> None:
    url = server.add("/c", docs.RSS20)
    _subscribe(folder, url)
    library = Library.open(folder, data_dir)
    fetch_all(folder, library, data_dir)
    files = _files(folder)
    koala = next(p for p in files if "koalas" in p.name)
    before = load_file(str(koala))
    assert isinstance(before, Article)
    library.set_read([before.id])
    server.add("/c", docs.RSS20.replace("eucalyptus leaves", "gum leaves"))
    report = fetch_all(folder, library, data_dir)
    assert (report.totals().new, report.totals().updated) == (0, 1)
    assert _files(folder) == files  # the same files: none added
    after = library.article(before.id)
    assert after is not None and "gum leaves" in after.body
    assert library.is_read(before.id)
    library.close()


def test_same_url_in_two_feeds_is_written_once(
    server: FeedServer, folder: Path, data_dir: Path
) -> None:
    one = server.add("/one", docs.rss(docs.item(1) + docs.item(2)))
    # The same articles under other guids and with tracking parameters.
    two = server.add(
        "/two",
        docs.rss(
            docs.item(1).replace("id-1", "x-1").replace("items/1", "items/1?utm_source=rss")
            + docs.item(3)
        ),
    )
    _subscribe(folder, one, two)
    with Fetcher() as http:
        assert fetch_all(folder, None, data_dir, fetcher=http).totals().new in (3,)
    assert len(_files(folder)) == 3


def test_deleted_state_is_rebuilt_from_the_files(
    server: FeedServer, folder: Path, data_dir: Path
) -> None:
    _subscribe(folder, server.add("/s", docs.MISSING))
    _fetch(folder, data_dir)
    files = _files(folder)
    for path in (data_dir / "cache").glob("*.feeds.sqlite*"):
        path.unlink()
    report = _fetch(folder, data_dir)
    assert report.totals().new == 0 and _files(folder) == files


def test_a_deleted_item_file_is_not_brought_back(
    server: FeedServer, folder: Path, data_dir: Path
) -> None:
    _subscribe(folder, server.add("/d", docs.RSS20))
    _fetch(folder, data_dir)
    first = _files(folder)[0]
    first.unlink()
    _fetch(folder, data_dir)
    assert not first.exists()


def test_at_most_two_requests_per_host(server: FeedServer, folder: Path, data_dir: Path) -> None:
    lock = threading.Lock()
    active = [0, 0]  # now, most

    def slow(_handler: object) -> tuple[int, dict[str, str], bytes]:
        with lock:
            active[0] += 1
            active[1] = max(active)
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return 200, {}, docs.RSS20.encode()

    urls = [server.add(f"/h{n}", handler=slow) for n in range(6)]
    _subscribe(folder, *urls)
    _fetch(folder, data_dir)
    assert active[1] == 2


def test_subscribe_through_the_page_that_announces_the_feed(
    server: FeedServer, folder: Path
) -> None:
    feed = server.add("/blog/feed.xml", docs.RSS20)
    page = server.add("/blog/", docs.HTML_PAGE)
    sub = subscribe(folder, page)
    assert sub.url == feed and sub.title == "Two News"
    assert [s.url for s in load_subscriptions(folder)] == [feed]


def test_save_page(server: FeedServer, folder: Path, data_dir: Path) -> None:
    url = server.add("/story", docs.ARTICLE_PAGE)
    path = save_page(folder, url)
    again = save_page(folder, url)
    assert path == again and path.parent == folder / "saved"
    article = load_file(str(path))
    assert isinstance(article, Article)
    assert article.title == "Saved page title"
    assert article.url == "https://saved.example/story"  # the page's canonical address
    assert "second paragraph" in article.body and "menu menu" not in article.body
