"""URLs in front matter, related links, images and HTML meta: only validated, re-serialised http(s)
URLs survive into an Article."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_support import load, urls, write
from newsreader.ingest.urls import safe_url
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


# -- issue 16, item 12: a user's shell wrapper around the browser sees only inert text ------------

#: URLs that each try to run ./pwn.sh (or worse) through ``sh -c 'browser %s'``.
INJECTIONS = [
    "https://news.example.com/&./pwn.sh",
    "https://news.example.com/a&&./pwn.sh",
    "https://news.example.com/;./pwn.sh",
    "https://news.example.com/|./pwn.sh",
    "https://news.example.com/$(./pwn.sh)",
    "https://news.example.com/`./pwn.sh`",
    "https://news.example.com/a'$(./pwn.sh)'",
    'https://news.example.com/a"$(./pwn.sh)"',
    "https://news.example.com/?a=1&./pwn.sh",
    "https://news.example.com/?a&./pwn.sh",
    "https://news.example.com/?a=1&b=2&./pwn.sh=x",
    "https://news.example.com/?a=1&PATH=.&b=1",
    "https://news.example.com/#&./pwn.sh",
    "https://news.example.com/x?q=1#a&./pwn.sh",
    "https://news.example.com/a!b*c?d=~e&f={g,h}[i]",
]

#: Browser commands as a user might write them: the URL unquoted, double- and single-quoted.
WRAPPERS = ["sh -c 'record %s'", "sh -c 'record \"%s\"'", "sh -c \"record '%s'\""]

#: Opens each URL of argv[1:] the way the app does without a configured browser.
_OPEN_ALL = "import sys, webbrowser\nfor url in sys.argv[1:]:\n    webbrowser.open(url, new=2)\n"


def _trap(folder: Path) -> dict[str, str]:
    """A folder holding ./pwn.sh (and ./pwn.sh=x) that leave a mark if run, and a `record` on
    PATH that logs each argument it gets on a line; returns the environment to run in."""
    mark = f'#!/bin/sh\necho ran >> "{folder}/pwned"\n'
    for name in ("pwn.sh", "pwn.sh=x"):
        write(folder, name, mark).chmod(0o755)
    write(folder, "bin/record", f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{folder}/log"\n').chmod(0o755)
    return {"PATH": f"{folder}/bin:/usr/bin:/bin", "HOME": str(folder), "LANG": "C.UTF-8"}


def _open_through(wrapper: str, urls_: list[str], folder: Path) -> list[str]:
    """Run ``webbrowser.open`` with ``BROWSER=wrapper`` in ``folder``; the lines `record` got."""
    env = {**_trap(folder), "BROWSER": wrapper}
    subprocess.run(
        [sys.executable, "-c", _OPEN_ALL, *urls_], cwd=folder, env=env, timeout=60, check=True
    )
    log = folder / "log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_no_url_runs_a_command_through_a_shell_wrapper(wrapper: str, tmp_path: Path) -> None:
    safe = [safe_url(url) for url in INJECTIONS]
    assert None not in safe
    received = _open_through(wrapper, [url for url in safe if url], tmp_path)
    assert not (tmp_path / "pwned").exists(), received
    # Each URL reached the browser as text: whole, or (unquoted) cut at a separator `&`. An
    # unquoted `&` also sends that `record` to the background, so the lines can come in any
    # order (they did at load 15): each line is matched to a URL it starts, longest first.
    assert len(received) == len(safe)
    if "'%s'" in wrapper or '"%s"' in wrapper:
        assert sorted(received) == sorted(url for url in safe if url)
    remaining = [url for url in safe if url]
    for got in sorted(received, key=len, reverse=True):
        match = next((url for url in remaining if url.startswith(got)), None)
        assert match is not None, (got, remaining)
        remaining.remove(match)


def test_query_parameters_still_reach_the_browser(tmp_path: Path) -> None:
    url = "https://news.example.com/a/b?id=123&page=2&q=caf%C3%A9"
    assert safe_url(url) == url
    assert _open_through(WRAPPERS[1], [url], tmp_path) == [url]


def test_the_repro_url_is_percent_encoded() -> None:
    assert safe_url("https://news.example.com/&./pwn.sh") == "https://news.example.com/%26./pwn.sh"
