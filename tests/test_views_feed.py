"""The view of one feed (``View(feed=folder)``): the articles with a file in that feed's folder,
on both query paths and in the count; the grouped counts of every feed folder in one query;
saved searches renamed without losing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.library import counting
from newsreader.library.library import Library, View


def item(folder: Path, name: str, title: str, body: str = "koala text") -> Path:
    """An item file as a fetch writes it: front matter with the feed URL."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f'---\ntitle: "{title}"\noriginalUrl: "https://example.com/{name}"\n'
        f'feedUrl: "https://example.com/rss"\n---\n\n{body}\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    # The folder's own name holds LIKE's wildcards: a filter that does not escape them (or
    # does not anchor the prefix) also takes the sibling folders' articles.
    folder = tmp_path / "my_lib%"
    feeds = folder / "feeds"
    item(feeds / "a_b-1", "1.md", "First of a_b")
    item(feeds / "a_b-1", "2.md", "Second of a_b", body="wombat text")
    item(feeds / "aXb-1", "3.md", "Of aXb")  # `_` as a wildcard would take it
    item(feeds / "a_b-10", "4.md", "Of a_b-10")  # a prefix without the slash would take it
    item(folder / "elsewhere", "5.md", "Not from a feed")
    item(tmp_path / "my_libX" / "feeds" / "a_b-1", "6.md", "Outside the library")
    library = Library.open(folder, tmp_path / "data")
    library.sync(workers=1)
    return library


def titles(lib: Library, view: View) -> set[str]:
    return {r.title for r in lib.rows(lib.rowids(view))}


def feed(lib: Library, name: str) -> str:
    return str(Path(lib.folder) / "feeds" / name)


def test_a_feed_view_lists_its_folder_only(lib: Library) -> None:
    view = View(feed=feed(lib, "a_b-1"))
    assert titles(lib, view) == {"First of a_b", "Second of a_b"}
    assert lib.count(view) == 2
    assert titles(lib, View(feed=feed(lib, "a_b-10"))) == {"Of a_b-10"}
    assert titles(lib, View(feed=feed(lib, "nothing-here"))) == set()


def test_a_feed_view_with_a_search_and_unread(lib: Library) -> None:
    view = View(query="wombat", feed=feed(lib, "a_b-1"))  # the full-text path
    assert titles(lib, view) == {"Second of a_b"}
    assert lib.count(view) == 1
    first = lib.rowids(View(feed=feed(lib, "a_b-1")))
    read = [r.id for r in lib.rows(first) if r.title == "First of a_b"]
    lib.set_read(read)
    unread = View(feed=feed(lib, "a_b-1"), unread=True)
    assert titles(lib, unread) == {"Second of a_b"}
    assert titles(lib, View(query="koala", feed=feed(lib, "a_b-1"), unread=True)) == set()


def test_feed_counts_in_one_grouped_query(lib: Library) -> None:
    base = str(Path(lib.folder) / "feeds")
    first = lib.rowids(View(feed=feed(lib, "a_b-1")))
    lib.set_read([lib.rows(first)[0].id])
    counts = lib.folder_counts(base)
    assert counts == {
        feed(lib, "a_b-1"): (2, 1),
        feed(lib, "aXb-1"): (1, 1),
        feed(lib, "a_b-10"): (1, 1),
    }
    for name, (total, unread) in counts.items():
        assert lib.count(View(feed=name)) == total
        assert lib.count(View(feed=name, unread=True)) == unread
    assert lib.folder_counts(str(Path(lib.folder) / "no-such")) == {}


def test_rename_a_saved_search(lib: Library) -> None:
    lib.save_search("cams", "clearview")
    lib.save_search("ai", "topic:AI")
    assert lib.rename_search("cams", "cameras") is True
    assert lib.saved_searches() == [("ai", "topic:AI"), ("cameras", "clearview")]
    # Onto a name that is taken: refused, and both searches stay as they were.
    assert lib.rename_search("cameras", "ai") is False
    assert lib.saved_searches() == [("ai", "topic:AI"), ("cameras", "clearview")]
    assert lib.rename_search("gone", "other") is False
    assert lib.rename_search("ai", "ai") is True
    assert lib.saved_searches() == [("ai", "topic:AI"), ("cameras", "clearview")]


def test_saved_counts_agree_with_count(lib: Library) -> None:
    searches = {
        "koala": "koala",
        "first": "koala NOT wombat",
        "plain": "is:unread",
        "broken": '"unclosed',
        "none": "zzzz",
        "after": "koala after:2000-01-01",
    }
    for name, query in searches.items():
        lib.save_search(name, query)
    first = lib.rowids(View(feed=feed(lib, "a_b-1")))
    lib.set_read([r.id for r in lib.rows(first)])
    found = {name: (total, unread) for name, _, total, unread in counting.saved_counts(lib)}
    for name, query in searches.items():
        expected = (lib.count(View(query=query)), lib.count(View(query=query, unread=True)))
        assert found[name] == expected, name
    assert found["koala"] == (4, 3)
    assert found["broken"] == (0, 0)
