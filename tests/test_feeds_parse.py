"""Feed documents -> items: every format, and hostile or damaged input bounded."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from feed_fixtures import docs
from newsreader.feeds.parse import MAX_ITEMS, FeedError, feed_links, parse_feed

BASE = "https://feeds.example/dir/feed.xml"


@pytest.mark.parametrize(
    ("doc", "version", "title", "first"),
    [
        (docs.RSS091, "rss091", "Old School", "First old item"),
        (docs.RSS20, "rss20", "Two News", "Koalas sleep twenty hours"),
        (docs.RDF, "rss10", "RDF Site", "An RDF item"),
        (docs.ATOM, "atom10", "Atom Times", "Atom entry"),
        (docs.JSON_FEED, "json", "JSON Daily", "A JSON item"),
    ],
)
def test_each_format(doc: str, version: str, title: str, first: str) -> None:
    feed = parse_feed(doc.encode(), BASE)
    assert feed.version.startswith(version)
    assert feed.title == title
    assert feed.items[0].title == first
    assert feed.items[0].link.startswith("http")


def test_rss20_fields() -> None:
    item = parse_feed(docs.RSS20.encode(), BASE).items[0]
    assert item.guid == "two-1"
    assert item.published == datetime(2021, 9, 6, 16, 45, tzinfo=UTC)
    # content:encoded, rendered to Markdown: both paragraphs, the emphasis kept
    assert item.body.startswith("Koalas sleep **most** of the day") and "eucalyptus" in item.body
    assert item.excerpt == "Koalas sleep most of the day, say researchers."
    assert item.topics == ("Animals", "Science")
    assert item.images == ("https://two.example/koala.jpg", "https://two.example/koala-small.jpg")


def test_json_feed_fields() -> None:
    feed = parse_feed(docs.JSON_FEED.encode(), BASE)
    one, two = feed.items
    assert one.published == datetime(2021, 4, 9, 9, 1, tzinfo=UTC)
    assert one.topics == ("Data",) and one.images == ("https://json.example/j1.png",)
    assert two.link == "https://feeds.example/j2"  # relative to the feed's address
    assert "&lt;not a tag&gt;" in two.body  # content_text is text, escaped as HTML


def test_json_that_is_no_feed() -> None:
    with pytest.raises(FeedError, match="no JSON Feed version"):
        parse_feed(b'{"hello": "world"}', BASE)
    with pytest.raises(FeedError, match="broken JSON"):
        parse_feed(b'{"version": ', BASE)


def test_missing_guid_link_date() -> None:
    items = {i.title: i for i in parse_feed(docs.MISSING.encode(), BASE).items}
    assert items["No guid"].guid == "https://m.example/no-guid"  # the link stands in
    assert items["No link"].link == "" and items["No link"].guid == "no-link"
    assert items["No date"].published is None
    untitled = items[""]
    assert untitled.guid.startswith("sha256:") and "Nothing but" in untitled.body
    # The derived guid is stable: the same item gets the same guid on every fetch.
    again = {i.title: i for i in parse_feed(docs.MISSING.encode(), BASE).items}
    assert again[""].guid == untitled.guid


def test_duplicate_guids_keep_the_first() -> None:
    items = parse_feed(docs.DUPLICATES.encode(), BASE).items
    assert [i.title for i in items] == ["First copy", "Other"]


def test_relative_links_resolve_and_bad_schemes_drop() -> None:
    rel, bad = parse_feed(docs.RELATIVE.encode(), BASE).items
    assert rel.link == "https://feeds.example/posts/rel.html"
    assert "[about](https://feeds.example/about)" in rel.body
    assert bad.link == ""


def test_markup_and_escapes_in_titles() -> None:
    feed = parse_feed(docs.HOSTILE_TITLES.encode(), BASE)
    title = feed.items[0].title
    assert "\x1b" not in title and "\x07" not in title and "\u202e" not in title
    assert "<b>" not in title and "bold" in title  # HTML tags become their text
    assert "[bold red]rich[/]" in title  # Rich markup stays literal text (shown, not obeyed)
    assert "\x1b" not in feed.title and "[link=http://x]" in feed.title


def test_legacy_encoding_from_the_prolog() -> None:
    feed = parse_feed(docs.LEGACY, BASE)
    assert feed.title == "Légacy"
    assert feed.items[0].title == "Café crème \u2019quoted\u2019"
    assert "Naïve résumé" in feed.items[0].body


def test_malformed_xml_keeps_what_can_be_read() -> None:
    feed = parse_feed(docs.MALFORMED.encode(), BASE)
    titles = [i.title for i in feed.items]
    assert "Item number 1" in titles and "Item number 2" in titles
    assert feed.warning.startswith("damaged feed")


@pytest.mark.parametrize("doc", [docs.BILLION_LAUGHS, docs.QUADRATIC])
def test_entity_expansion_is_refused_quickly(doc: str) -> None:
    started = time.monotonic()
    with pytest.raises(FeedError, match="entity expansion"):
        parse_feed(doc.encode(), BASE)
    with pytest.raises(FeedError, match="entity expansion"):
        parse_feed(doc.encode("utf-16"), BASE)
    assert time.monotonic() - started < 1


def test_a_huge_feed_is_cut() -> None:
    doc = docs.rss("".join(docs.item(n) for n in range(MAX_ITEMS + 50)))
    assert len(parse_feed(doc.encode(), BASE).items) == MAX_ITEMS


def test_html_is_no_feed_but_announces_one() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed(docs.HTML_PAGE.encode(), BASE)
    assert feed_links(docs.HTML_PAGE, "https://blog.example/home") == [
        "https://blog.example/blog/feed.xml"
    ]
    assert (
        feed_links('<link rel="alternate" type="application/rss+xml" href="javascript:x">', BASE)
        == []
    )
