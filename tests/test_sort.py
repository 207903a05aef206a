"""The "unread first" sort (issue 22): unread articles newest first, then the read ones newest
first, in every list (all, a topic, unread only, a page at a time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SEEDS
from newsreader import config as config_module
from newsreader.library.library import Library, View


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    library = Library.open(SEEDS, tmp_path / "data")
    library.sync(workers=1)
    yield library
    library.close()


def ids(lib: Library, view: View) -> list[str]:
    return [row.id for row in lib.rows(lib.rowids(view))]


def test_unread_first_puts_read_articles_last_each_part_newest_first(lib: Library) -> None:
    newest = ids(lib, View())
    read = [newest[0], newest[2]]
    lib.set_read(read, True)
    got = ids(lib, View(sort="unread"))
    assert got == [i for i in newest if i not in read] + read
    lib.set_read(read, False)
    assert ids(lib, View(sort="unread")) == newest


def test_unread_first_in_a_topic(lib: Library) -> None:
    topic = max(lib.topics(), key=lambda c: c.total)
    assert topic.total >= 2
    newest = ids(lib, View(topic=topic.name))
    lib.set_read([newest[0]], True)
    assert ids(lib, View(topic=topic.name, sort="unread")) == newest[1:] + newest[:1]


def test_unread_is_a_sort_the_config_accepts(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('sort = "unread"\n')
    cfg = config_module.load(path)
    assert cfg.sort == "unread" and cfg.problems == []
