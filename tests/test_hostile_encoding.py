"""Encodings: BOMs, Latin-1, cp1252, UTF-16 with and without BOM, invalid bytes, NULs, CRLF."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from hostile_support import load, write
from newsreader.model import Article

FRONT = (
    "---\ntitle: Café crème à la “mode” – déjà vu\nprovider: Le Monde\n"
    "date: 2021-05-06\ntopics: [Économie]\n---\n"
    "Le café était fermé ce matin, à cause de la grève. Les clients, déçus, sont repartis.\n"
)
TITLE = "Café crème à la “mode” – déjà vu"


def article(path: Path) -> Article:
    result = load(path)
    assert isinstance(result, Article), result
    return result


def test_utf8_bom_before_front_matter(tmp_path: Path) -> None:
    a = article(write(tmp_path, "bom.md", codecs.BOM_UTF8 + FRONT.encode()))
    assert a.kind == "frontmatter"
    assert a.title == TITLE
    assert a.provider == "Le Monde" and a.topics == ["Économie"]
    assert a.published is not None


def test_bom_and_crlf_and_blank_lines_before_front_matter(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + b"\r\n\r\n" + FRONT.replace("\n", "\r\n").encode()
    a = article(write(tmp_path, "bom-crlf.md", data))
    assert (a.kind, a.title) == ("frontmatter", TITLE)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]
)
def test_unicode_encodings(encoding: str, tmp_path: Path) -> None:
    a = article(write(tmp_path, f"{encoding}.md", FRONT.encode(encoding)))
    assert (a.kind, a.title) == ("frontmatter", TITLE)
    assert a.body.startswith("Le café était fermé")


def test_latin1(tmp_path: Path) -> None:
    text = FRONT.replace("“", '"').replace("”", '"').replace("–", "-")
    a = article(write(tmp_path, "latin1.md", text.encode("latin-1")))
    assert a.title == 'Café crème à la "mode" - déjà vu'
    assert "café était fermé" in a.body


def test_cp1252(tmp_path: Path) -> None:
    a = article(write(tmp_path, "cp1252.md", FRONT.encode("cp1252")))
    assert a.title == TITLE
    assert a.topics == ["Économie"]


def test_cp1252_text_dump(tmp_path: Path) -> None:
    text = (
        "Grève au café\n\n"
        "Le café était fermé ce matin, à cause de la grève des employés du quartier. "
        "Les clients, déçus, sont repartis sans leur “petit noir” habituel.\n\n"
        "La direction a promis une réouverture rapide – dès lundi, selon un porte-parole.\n"
    )
    a = article(write(tmp_path, "dump.txt", text.encode("cp1252")))
    assert "“petit noir”" in a.body and "\ufffd" not in a.body


def test_invalid_bytes_never_fail(tmp_path: Path) -> None:
    data = (
        b"---\ntitle: bad \xff\xfe\xc3 bytes \xed\xa0\x80 here\n---\nbody \x80\x81\x8d\x9d text\n"
    )
    a = article(write(tmp_path, "invalid.md", data))
    # Not UTF-8, so read as cp1252 (its undefined bytes as Latin-1, then stripped as C1).
    assert a.title.startswith("bad ÿþÃ bytes") and a.title.endswith("here")
    assert a.body == "body € text"


def test_mostly_utf8_with_a_stray_cp1252_quote(tmp_path: Path) -> None:
    data = "---\ntitle: Déjà vu at the café\n---\n".encode() + b"It\x92s fine.\n"
    a = article(write(tmp_path, "stray.md", data))
    assert a.title == "Déjà vu at the café"
    assert "It’s fine." in a.body


def test_nul_bytes_in_a_text_file(tmp_path: Path) -> None:
    paragraph = "The council met on Monday to discuss the new budget for the coming year. " * 5
    data = f"---\ntitle: Council meets\n---\n{paragraph}\n".encode()
    data = data.replace(b"Monday", b"Mon\x00day").replace(b"council", b"coun\x00cil", 1)
    a = article(write(tmp_path, "nul.md", data))
    assert a.title == "Council meets"
    assert "\x00" not in a.body and "Monday" in a.body


def test_nul_bytes_in_front_matter(tmp_path: Path) -> None:
    paragraph = "A long enough body so that a couple of NUL bytes are not taken for binary. " * 5
    data = b"---\ntitle: Ti\x00tle\nx: a\x00b\n---\n" + paragraph.encode()
    a = article(write(tmp_path, "nul-fm.md", data))
    assert a.title == "Title" and a.extras["x"] == "ab"


def test_mostly_nul_is_binary(tmp_path: Path) -> None:
    result = load(write(tmp_path, "nul.txt", b"\x00" * 1000 + b"title"))
    assert not isinstance(result, Article)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_line_endings(newline: str, tmp_path: Path) -> None:
    a = article(write(tmp_path, "crlf.md", FRONT.replace("\n", newline).encode()))
    assert (a.kind, a.title) == ("frontmatter", TITLE)
    assert a.published is not None
    assert "\r" not in a.body and a.body.startswith("Le café")


def test_crlf_markdown_and_text(tmp_path: Path) -> None:
    md = "# Heading here\r\n\r\nSome paragraph of text that is the body of this article.\r\n"
    a = article(write(tmp_path, "crlf-md.txt", md.encode()))
    assert (a.kind, a.title) == ("markdown", "Heading here")
    assert "\r" not in a.body


def test_utf16_html(tmp_path: Path) -> None:
    html = (
        "<!DOCTYPE html><html><head><title>Zürich vote results are in</title></head><body>"
        "<h1>Zürich vote results are in</h1><p>Voters in Zürich approved the proposal on "
        "Sunday by a wide margin, officials said after counting finished.</p></body></html>"
    )
    a = article(write(tmp_path, "page.txt", html.encode("utf-16")))
    assert (a.kind, a.title) == ("html", "Zürich vote results are in")


def test_utf16_cut_in_the_middle_of_a_code_unit(tmp_path: Path) -> None:
    data = FRONT.encode("utf-16-le") + b"\x41"  # an odd trailing byte
    a = article(write(tmp_path, "odd.md", data))
    assert a.title == TITLE


def test_nul_padded_article_loads(tmp_path: Path) -> None:
    data = FRONT.encode() + b"\x00" * 4096  # a preallocated or half-written file
    a = article(write(tmp_path, "padded.md", data))
    assert a.title == TITLE and a.body.endswith("sont repartis.")
    utf16 = article(write(tmp_path, "padded16.md", FRONT.encode("utf-16") + b"\x00" * 4096))
    assert utf16.title == TITLE


# -- declared and guessed charsets (issue 19, item 6) -------------------------------------------

HEADLINES = {
    "windows-1251": ("Полиция Москвы начала проверку", "Полиция сообщила в четверг, что"),
    "koi8-r": ("Полиция Москвы начала проверку", "Полиция сообщила в четверг, что"),
    "shift_jis": ("警視庁が捜査を開始", "警視庁は木曜日、捜査は続いていると発表し、"),
    "gb18030": ("警方开始调查", "警方周四表示，调查仍在进行中，并承诺"),
    "iso-8859-2": ("Policja wszczęła śledztwo", "Policja poinformowała w czwartek, że"),
    "utf-16": ("Полиция Москвы начала проверку", "Полиция сообщила в четверг, что"),
}
REST = " the investigation goes on, and more will be said later this week. " * 3


def page(charset: str, how: str) -> str:
    title, opening = HEADLINES[charset]
    body = f"<p>{opening}{REST}</p><p>{opening}{REST}</p>"
    head = {
        "meta": f'<meta charset="{charset}">',
        "http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">',
    }.get(how, "")
    xml = f'<?xml version="1.0" encoding="{charset}"?>\n' if how == "xml" else ""
    return f"{xml}<html><head>{head}<title>{title}</title></head><body>{body}</body></html>"


@pytest.mark.parametrize("how", ["meta", "http-equiv", "xml"])
@pytest.mark.parametrize("charset", sorted(HEADLINES))
def test_declared_charset_is_honoured(charset: str, how: str, tmp_path: Path) -> None:
    a = article(write(tmp_path, "page.html", page(charset, how).encode(charset)))
    title, opening = HEADLINES[charset]
    assert a.title == title
    assert opening in a.body


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r", "shift_jis", "gb18030"])
def test_undeclared_non_latin_text_is_guessed(charset: str, tmp_path: Path) -> None:
    title, opening = HEADLINES[charset]
    text = f"{title}\n\n{opening}{REST}\n\n{opening}{REST}\n"
    a = article(write(tmp_path, "dump.txt", text.encode(charset)))
    assert a.title == title
    assert opening in a.body


def test_undeclared_latin_text_stays_cp1252(tmp_path: Path) -> None:
    # charset-normalizer reads this as cp1257 ("naļve", "déją"): Latin text is not guessed
    text = "Le café naïve déjà vu — the “quoted” façade of the château, où l’été est très chaud."
    a = article(write(tmp_path, "fr.txt", f"Un titre\n\n{text}\n\n{text}\n".encode("cp1252")))
    assert text in a.body
