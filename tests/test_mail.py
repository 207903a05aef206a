"""Newsletters saved as mail are articles (issue 19, item 8): Subject the title, From the provider,
Date the date, the HTML part (or the text part) the body, decoded; each mbox message its own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsreader.ingest.load import load_file, load_mailbox, load_messages
from newsreader.model import Article, Problem

MAIL = Path(__file__).parent / "fixtures" / "mail"


def article(path: Path) -> Article:
    result = load_file(str(path))
    assert isinstance(result, Article), result
    return result


def test_eml_newsletter() -> None:
    for path in (MAIL / "newsletter.eml", next((MAIL / "maildir" / "cur").iterdir())):
        a = article(path)
        assert a.title == "Valley Daily: council overspends on parks"
        assert a.provider == "Valley Daily" and a.domain == "valley.example"
        assert a.published == datetime(2024, 4, 11, 6, 30, tzinfo=UTC)
        # the HTML part, decoded from quoted-printable: no soft line breaks, no =C3=A9
        assert "concluding that the project had run over budget" in a.body
        assert "The café in the park stays open." in a.body
        assert "=\n" not in a.body and "Content-" not in a.body
        assert "The plain part" not in a.body
        assert "Unsubscribe" not in a.body  # newsletter boilerplate goes


def test_mhtml_page() -> None:
    a = article(MAIL / "page.mhtml")
    assert a.title == "Bridge reopens after repairs"
    assert a.published == datetime(2024, 4, 12, 9, 15, tzinfo=UTC)
    assert "reopened on Friday morning after six months of repairs" in a.body
    assert "MultipartBoundary" not in a.body


def test_each_mbox_message_is_an_article() -> None:
    results = load_messages(str(MAIL / "digest.mbox"))
    assert [r.title for r in results if isinstance(r, Article)] == [
        "First message: the parks budget",
        "Second message: the bridge reopens",
    ]
    first, second = results
    assert isinstance(first, Article) and isinstance(second, Article)
    assert first.id != second.id
    assert second.published == datetime(2024, 4, 12, 6, 30, tzinfo=UTC)
    assert "From news@" not in first.body and "Subject:" not in first.body
    # read alone, an mbox file gives its first message
    assert article(MAIL / "digest.mbox").title == "First message: the parks budget"


def test_load_mailbox_reads_an_mbox_only() -> None:
    titles = [r.title for r in load_mailbox(str(MAIL / "digest.mbox")) if isinstance(r, Article)]
    assert titles == ["First message: the parks budget", "Second message: the bridge reopens"]
    assert load_mailbox(str(MAIL / "newsletter.eml")) == []
    assert load_mailbox(str(MAIL / "no-such.mbox")) == []


def test_an_mbox_past_the_read_cap_keeps_its_whole_messages_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    digest = (MAIL / "digest.mbox").read_text()
    last = digest.replace("First message: the parks budget", "A long message")
    last = last.split("\nFrom news@")[0] + "\n" + "A line of the long message.\n" * 200_000
    path.write_text(digest + "\n" + last)
    results = load_messages(str(path))
    assert [r.title for r in results[:2] if isinstance(r, Article)] == [
        "First message: the parks budget",
        "Second message: the bridge reopens",
    ]
    assert results[2:] == [
        Problem(str(path), "too large: only the messages in the first 4 MB read")
    ]


def test_a_config_file_is_no_mail(tmp_path: Path) -> None:
    path = tmp_path / "settings.txt"
    path.write_text("name: value\nother: thing\ncolour: blue\n")
    assert not isinstance(load_file(str(path)), Article)
