"""URLs in front matter, related links, images and HTML meta: only validated, re-serialised http(s)
URLs survive into an Article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostile_support import load, urls, write
from newsreader.model import Article

HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "file:///etc/passwd",
    "file://host/share",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "ssh://user@host/cmd",
    "ftp://example.com/x",
    "mailto:a@example.com",
    "vbscript:x",
    "-https://example.com/",
    "--remote-debugging-port=9222",
    "-dhttps://x",
    "//example.com/no-scheme",
    "example.com/no-scheme",
    "/relative/path",
    "https://",
    "https:///path",
    "https://exa mple.com/",
    "https://example.com:99999/",
    "https://example.com:0/",
    "https://example.com:-1/",
    "https://example.com:port/",
    "https://[::1/",
    "https://user:pass@bank.example@evil.example/",
    "https://bank.example\\@evil.example/",
    "https://2130706433/",
    "https://0x7f.1/",
    "https://exa\x00mple.com/",
    "https://example.com/\x1b[31m",
    "https://example.com/\x07",
    "https://example.com/\u202egnp.exe",
    "https://ex\u200bample.com/",
    "http://" + "a" * 300 + ".com/",
    "https://example.com/" + "p" * 5000,
]
SHELL = [
    "https://example.com/$(touch /tmp/pwned)",
    "https://example.com/`id`",
    "https://example.com/a;rm -rf ~",
    "https://example.com/a|nc evil 1",
    "https://example.com/a&&b",
    "https://example.com/a'b\"c<d>e",
    "https://example.com/?q=$(id)&x=`id`",
    "https://example.com/#$(id)",
    "https://example.com/a\nb",
]


def article(path: Path) -> Article:
    result = load(path)
    assert isinstance(result, Article), result
    return result


def front_matter_with(url: str) -> str:
    value = json.dumps(url)
    return (
        f"title: t\nurl: {value}\nwebUrl: {value}\noriginalUrl: {value}\nlink: {value}\n"
        f"canonical: {value}\nampWebUrl: {value}\ncdnAmpWebUrl: {value}\n"
        f"images: [{value}, {{url: {value}}}]\nimage: {value}\n"
        f"related:\n  - {{title: r, webUrl: {value}, url: {value}, originalUrl: {value}}}\n"
    )


@pytest.mark.parametrize("url", HOSTILE, ids=repr)
def test_hostile_urls_never_survive(url: str, tmp_path: Path) -> None:
    a = article(write(tmp_path, "u.md", f"---\n{front_matter_with(url)}---\n"))
    # load() has checked that whatever is left is plain, printable http(s)
    for found in urls(a):
        assert not found.startswith("-")
        assert "@" not in found.split("/")[2]


@pytest.mark.parametrize("url", HOSTILE, ids=repr)
def test_hostile_urls_in_html_meta(url: str, tmp_path: Path) -> None:
    value = url.replace('"', "&quot;")
    html = (
        f'<html><head><title>A page about something</title><link rel="canonical" href="{value}">'
        f'<meta property="og:url" content="{value}"><meta property="og:image" content="{value}">'
        "</head><body><p>Some body text long enough to be an article body for the test.</p>"
    )
    a = article(write(tmp_path, "u.html", html))
    for found in urls(a):
        assert not found.startswith("-")


@pytest.mark.parametrize("url", SHELL, ids=repr)
def test_shell_metacharacters_are_encoded(url: str, tmp_path: Path) -> None:
    a = article(write(tmp_path, "u.md", f"---\n{front_matter_with(url)}---\n"))
    for found in urls(a):
        assert not set(found) & set("$`;|'\"<> \n\\(){}"), found


def test_good_urls_survive_normalised(tmp_path: Path) -> None:
    fm = (
        "title: t\nurl: HTTPS://WWW.Example.COM:443/a%20b?utm_source=x&q=1\n"
        "images: ['http://cdn.example.com/i.png']\n"
        "related: [{title: r, webUrl: 'https://bücher.example/ö'}]\n"
    )
    a = article(write(tmp_path, "u.md", f"---\n{fm}---\n"))
    assert a.url == "https://www.example.com/a%20b?utm_source=x&q=1"
    assert a.domain == "example.com"
    assert a.images[0].url == "http://cdn.example.com/i.png"
    assert a.related[0].url == "https://xn--bcher-kva.example/%C3%B6"


def test_a_bad_url_falls_back_to_the_next_good_one(tmp_path: Path) -> None:
    fm = "title: t\noriginalUrl: 'javascript:x'\nurl: 'file:///x'\nwebUrl: 'https://ok.example/a'"
    a = article(write(tmp_path, "u.md", f"---\n{fm}\n---\n"))
    assert a.url == a.web_url == "https://ok.example/a"
    assert a.url_keys == ["ok.example/a"]
