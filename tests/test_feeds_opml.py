"""The subscriptions file is the user's: whatever titles and folders reach it, it must load again."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsreader.feeds.opml import Subscription, load_subscriptions, read_opml, save_subscriptions
from newsreader.feeds.parse import FeedError

#: What a feed, an OPML file or a redirect can hand us as a title: terminal escapes, C0/C1
#: controls, NUL, lone surrogates, bidi overrides, characters XML 1.0 cannot hold at all.
HOSTILE = [
    "\x1b[31mred\x1b[0m",
    "a\x00b",
    "\x07bell",
    "\ud800x",
    "\u202eevil",
    "\x85next",
    "\ufffe",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_a_hostile_title_or_folder_is_saved_so_that_the_file_loads_again(
    tmp_path: Path, title: str
) -> None:
    subs = [
        Subscription("https://example.com/feed", title=title, topics=(title, "News")),
        Subscription("https://example.org/rss", title="Plain"),
    ]
    save_subscriptions(tmp_path, subs)
    loaded = load_subscriptions(tmp_path)
    assert [s.url for s in loaded] == ["https://example.com/feed", "https://example.org/rss"]
    for sub in loaded:
        for text in (sub.title, *sub.topics):
            assert text.isprintable() and "\x1b" not in text
    assert loaded[1].title == "Plain"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40), st.text(max_size=20))
def test_any_title_round_trips_to_a_loadable_file(title: str, folder: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        save_subscriptions(tmp, [Subscription("https://example.com/f", title, (folder,))])
        (loaded,) = load_subscriptions(tmp)
        assert loaded.url == "https://example.com/f"


def test_a_file_an_older_version_wrote_with_control_characters_still_loads(tmp_path: Path) -> None:
    (tmp_path / ".feeds.opml").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><body>'
        b'<outline text="\x1b[31mTech" title="\x1b[31mTech">'
        b'<outline type="rss" text="Red\x1b[0m" title="Red\x1b[0m" xmlUrl="https://a.example/f"/>'
        b"</outline></body></opml>\n"
    )
    (sub,) = load_subscriptions(tmp_path)
    assert (sub.url, sub.title, sub.topics) == ("https://a.example/f", "Red", ("Tech",))


# A declaration hidden by a control character, which the lenient re-read removes.
HIDDEN = (
    b'<?xml version="1.0"?>\n'
    b'<!DOCTYPE opml [<!EN\x01TITY e "expanded entity">]>\n'
    b'<opml version="2.0"><head/><body>'
    b'<outline text="&e;" title="&e;" type="rss" xmlUrl="https://example.com/feed.xml"/>'
    b"</body></opml>"
)


def test_an_entity_declaration_hidden_by_a_control_character_is_refused() -> None:
    assert b"<!ENTITY" not in HIDDEN  # the raw check cannot see it
    with pytest.raises(FeedError):
        subs = read_opml(HIDDEN)
        pytest.fail(f"entities were expanded: {subs!r}")
