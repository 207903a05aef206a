"""safe_url lets through only plain http(s) URLs; canonical_url gives one key per article."""

from __future__ import annotations

import re
import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsreader.ingest.urls import MAX_URL_LENGTH, canonical_url, domain_of, safe_url

NYPOST = "nypost.com/2021/04/11/internal-affairs-used-facial-recognition-against-nypd-cops-email"
DAILYMAIL = (
    "dailymail.co.uk/news/article-9460657/"
    "NYPD-use-facial-recognition-app-against-officers-ID-cops-drinking-mates-funeral.html"
)
#: Characters a shell or terminal gives meaning to; none may appear raw in a path or query.
SHELL_META = set(" ;|`$()<>\"'{}[]\\^&*?!#~")


def shell_meta_in(url: str) -> set[str]:
    """The shell metacharacters of ``url`` after its host, but for its delimiters: the ``?`` of
    the query, the ``#`` of the fragment, and an ``&`` before a ``name=`` parameter."""
    rest = url.split("://", 1)[1].partition("/")[2]
    rest, _, fragment = rest.partition("#")
    path, _, query = rest.partition("?")
    params = query.split("&")
    assert all(re.match(r"[A-Za-z_][A-Za-z0-9_]*=", param) for param in params[1:]), url
    return SHELL_META & set(path + "".join(params) + fragment)


# -- safe_url: refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        None,
        42,
        b"https://example.com/",
        ["https://example.com/"],
        "",
        "   ",
        # Other schemes.
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "javascript://example.com/%0aalert(1)",
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "ssh://attacker@example.com/",
        "mailto:someone@example.com",
        "ftp://example.com/file",
        "vbscript:msgbox",
        "x-man-page://ls",
        "ms-settings:",
        "about:blank",
        # No scheme, or no authority.
        "example.com/path",
        "//example.com/path",
        "http:example.com",
        "http:/example.com",
        "http:///example.com",
        "https://",
        # Option injection into an opener.
        "-oProxyCommand=calc",
        "--help",
        " -https://example.com/",
        # Control characters and whitespace inside.
        "https://exa\x00mple.com/",
        "https://example.com/a\x1b]52;c;eA==\x07",
        "https://example.com/a\nb",
        "https://example.com/a\rb",
        "https://example.com/a\tb",
        "https://example.com/a b",
        "https://example.com/a\x7fb",
        "https://example.com/a\x9bb",
        "https://example.com/\u202egnp.exe",
        "https://exa\u200bmple.com/",
        "https://example.com/a\u00a0b",
        "https://example.com/a\u2028b",
        # Malformed hosts.
        "https://exa mple.com/",
        "https://-example.com/",
        "https://example-.com/",
        "https://ex..ample.com/",
        "https://.example.com/",
        "https://exa_mple!.com/",
        "https://exam%70le.com/",
        "https://" + "a" * 64 + ".com/",
        "https://" + "abcdefgh." * 30 + "com/",
        "https://2130706433/",
        "https://0x7f.1/",
        "https://01.02.03.04/",
        "https://example.123/",
        "https://[::1/",
        "https://[not-ipv6]/",
        "https://[fe80::1%25eth0]/",
        "https://[::1]x/",
        "https://example.com\\@evil.example/",
        "https://xn--/",
        # Userinfo: refused, it is almost always a spoof.
        "https://user:pass@example.com/",
        "https://user@example.com/",
        "https://www.bank.com@evil.example/",
        "https://@example.com/",
        # Bad ports.
        "https://example.com:99999/",
        "https://example.com:65536/",
        "https://example.com:0/",
        "https://example.com:-1/",
        "https://example.com:8o/",
        "https://example.com:80:80/",
        "https://example.com:\uff18\uff10/",  # full-width digits
        "https://example.com: 80/",
        # Too long.
        "https://example.com/" + "a" * MAX_URL_LENGTH,
    ],
)
def test_safe_url_refuses(url: object) -> None:
    assert safe_url(url) is None


# -- safe_url: accepted and re-serialised ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a/b?c=1&d=2#frag", "https://example.com/a/b?c=1&d=2#frag"),
        ("  https://example.com/  \n", "https://example.com/"),
        ("HTTPS://WWW.EXAMPLE.COM/Path", "https://www.example.com/Path"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com?q=1", "http://example.com/?q=1"),
        ("http://example.com.", "http://example.com/"),
        # Ports: default dropped, others kept, empty tolerated.
        ("http://example.com:80/x", "http://example.com/x"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("https://example.com:0443/x", "https://example.com/x"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com:80/x", "https://example.com:80/x"),
        ("http://example.com:/x", "http://example.com/x"),
        # IP literals.
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
        ("http://[2001:DB8:0:0::1]:8443/x", "http://[2001:db8::1]:8443/x"),
        ("http://[::1]/", "http://[::1]/"),
        # IDNA.
        ("https://bücher.de/", "https://xn--bcher-kva.de/"),
        ("https://BÜCHER.de/", "https://xn--bcher-kva.de/"),
        ("https://例え.テスト/", "https://xn--r8jz45g.xn--zckzah/"),
        ("https://xn--bcher-kva.de/", "https://xn--bcher-kva.de/"),
        ("https://ｅｘａｍｐｌｅ．ｃｏｍ/", "https://example.com/"),
        ("https://my_host.example.com/", "https://my_host.example.com/"),
        ("http://localhost:3000/", "http://localhost:3000/"),
        # Path, query and fragment encoding.
        ("https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"),
        (
            "https://example.com/パス?q=日本",
            "https://example.com/%E3%83%91%E3%82%B9?q=%E6%97%A5%E6%9C%AC",
        ),
        ("https://example.com/a%20b", "https://example.com/a%20b"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ("https://example.com/%7euser", "https://example.com/%7Euser"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/%zz", "https://example.com/%25zz"),
        ("https://example.com/Foo_(bar)", "https://example.com/Foo_%28bar%29"),
        ("https://example.com/a;b", "https://example.com/a%3Bb"),
        ("https://example.com/$(id)", "https://example.com/%24%28id%29"),
        ("https://example.com/`id`|sh", "https://example.com/%60id%60%7Csh"),
        ("https://example.com/<script>", "https://example.com/%3Cscript%3E"),
        ("https://example.com/\"'", "https://example.com/%22%27"),
        ("https://example.com/{a}[b]\\c^", "https://example.com/%7Ba%7D%5Bb%5D%5Cc%5E"),
        ("https://example.com/?q=a;rm -rf", None),  # whitespace inside: refused, not mended
        ("https://example.com/?q=$(id)&x=`y`", "https://example.com/?q=%24%28id%29&x=%60y%60"),
        ("https://example.com/#$(id)", "https://example.com/#%24%28id%29"),
        ("https://example.com/?a=1?b=2", "https://example.com/?a=1%3Fb=2"),
        (
            "https://img.example.com/m.jpg?crop=1200:675,smart&w=1200&auto=webp",
            "https://img.example.com/m.jpg?crop=1200:675,smart&w=1200&auto=webp",
        ),
        ("https://example.com/a/*/b!+,=@:~", "https://example.com/a/%2A/b%21+,=@:%7E"),
    ],
)
def test_safe_url_accepts(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_safe_url_keeps_seed_urls() -> None:
    for url in (
        f"https://{NYPOST}/",
        "https://nypost.com/wp-content/uploads/sites/2/2021/04/x-007.jpg?quality=90&strip=all&w=1200",
        "https://www.technologyreview.com/2021/04/09/1022240/clearview-ai-nypd-emails/amp/",
    ):
        assert safe_url(url) == url


def test_safe_url_output_has_no_shell_metacharacters() -> None:
    hostile = "https://example.com/" + "".join(sorted(SHELL_META - {" ", "\\"})) + "?q=" + "$;|&"
    for url in (hostile, hostile.replace("#", ""), hostile.replace("#", "").replace("?", "", 1)):
        result = safe_url(url)
        assert result is not None
        assert not shell_meta_in(result), result


# -- canonical_url --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://{NYPOST}/",
        f"http://{NYPOST}/",
        f"https://www.{NYPOST}",
        f"https://NYPOST.com{NYPOST.removeprefix('nypost.com')}/#comments",
        f"https://{NYPOST}/amp/",
        f"https://{NYPOST}/amp",
        f"https://nypost-com.cdn.ampproject.org/c/s/{NYPOST}/amp/",
        f"https://nypost-com.cdn.ampproject.org/c/{NYPOST}/amp/",
        f"https://nypost-com.cdn.ampproject.org/v/s/{NYPOST}/amp/",
        f"https://www.google.com/amp/s/{NYPOST}/amp/",
        f"https://{NYPOST}/?utm_source=twitter&utm_medium=social&fbclid=IwAR0&gclid=x",
        f"https://{NYPOST}/?amp=1",
        f"https://{NYPOST}/?outputType=amp",
        f"https://nypost.com:443{NYPOST.removeprefix('nypost.com')}/",
        f"https://amp.{NYPOST}/",
    ],
)
def test_canonical_url_nypost_variants(url: str) -> None:
    assert canonical_url(url) == NYPOST


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.{DAILYMAIL}",
        f"https://www.{DAILYMAIL.replace('9460657/', '9460657/amp/')}",
        "https://www-dailymail-co-uk.cdn.ampproject.org/c/s/www."
        + DAILYMAIL.replace("9460657/", "9460657/amp/"),
        f"http://{DAILYMAIL}?utm_campaign=x&utm_source=y",
    ],
)
def test_canonical_url_dailymail_variants(url: str) -> None:
    assert canonical_url(url) == DAILYMAIL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/", "example.com"),
        ("https://example.com", "example.com"),
        ("https://www.com/", "www.com"),
        ("https://example.com:8080/a/", "example.com:8080/a"),
        ("https://example.com:80/a", "example.com/a"),
        ("https://example.com/a?b=2&utm_source=x&a=1&UTM_Medium=y", "example.com/a?b=2&a=1"),
        ("https://example.com/a?z=1&y=2&x=3", "example.com/a?z=1&y=2&x=3"),
        ("https://example.com/a?&&b=1&", "example.com/a?b=1"),
        ("https://example.com/a?outputType=json", "example.com/a?outputType=json"),
        ("https://example.com/Case/Sensitive", "example.com/Case/Sensitive"),
        ("https://www.bbc.co.uk/news/world-123.amp", "bbc.co.uk/news/world-123"),
        ("https://example.com/story.amp.html", "example.com/story.html"),
        ("https://example.com/amplifier", "example.com/amplifier"),
        ("https://example.com/.amp", "example.com/.amp"),
        ("https://a.cdn.ampproject.org/i/s/example.com/img.png", "example.com/img.png"),
        (
            "https://a.cdn.ampproject.org/c/s/example.com/a?x=1&amp_js_v=0.1",
            "example.com/a?x=1&amp_js_v=0.1",
        ),
        ("https://a.cdn.ampproject.org/c/s/", "a.cdn.ampproject.org/c/s"),
        ("https://a.cdn.ampproject.org/", "a.cdn.ampproject.org"),
        ("https://google.com/search?q=amp", "google.com/search?q=amp"),
        ("https://bücher.de/", "xn--bcher-kva.de"),
        ("javascript:alert(1)", ""),
        ("not a url", ""),
        (None, ""),
    ],
)
def test_canonical_url(url: object, expected: str) -> None:
    assert canonical_url(url) == expected


# -- domain_of ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.dailymail.co.uk/news/x.html", "dailymail.co.uk"),
        ("https://longisland.news12.com/x", "longisland.news12.com"),
        ("https://nypost-com.cdn.ampproject.org/c/s/nypost.com/x/amp/", "nypost.com"),
        ("https://example.com:8080/x", "example.com"),
        ("https://example.com?q=1", "example.com"),
        ("http://[::1]:8080/x", "[::1]"),
        ("http://127.0.0.1/", "127.0.0.1"),
        ("https://bücher.de/", "xn--bcher-kva.de"),
        ("", ""),
        ("file:///etc/passwd", ""),
    ],
)
def test_domain_of(url: str, expected: str) -> None:
    assert domain_of(url) == expected


# -- properties -----------------------------------------------------------------------------------

_OUTPUT = re.compile(r"https?://[!-~]+")

url_like = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["http://", "https://", "HTTP://", "javascript:", "file://", "-", " ", ""]),
        st.one_of(
            st.sampled_from(["example.com", "www.Example.com", "[::1]", "1.2.3.4", "bücher.de"]),
            st.text(max_size=20),
        ),
        st.sampled_from(["", ":80", ":443", ":8080", ":99999", ":x", "@evil.example"]),
        st.text(max_size=60),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(url_like, st.text(max_size=80), st.none(), st.integers()))
def test_safe_url_output_is_plain_http(url: object) -> None:
    result = safe_url(url)
    if result is None:
        return
    assert _OUTPUT.fullmatch(result), result
    assert not result.startswith("-")
    assert not shell_meta_in(result)
    assert safe_url(result) == result
    assert canonical_url(result) == canonical_url(url)
    assert canonical_url(result.replace("https://", "http://", 1)) == canonical_url(result)


@settings(max_examples=200, deadline=None)
@given(url_like)
def test_canonical_url_and_domain_never_raise(url: str) -> None:
    key = canonical_url(url)
    assert isinstance(key, str) and not key.startswith(("http://", "https://"))
    domain = domain_of(url)
    assert key.startswith(domain) and (domain or not key)


# -- issue 16, item 4: hostile sizes --------------------------------------------------------------


def test_an_overlong_url_is_refused_before_it_is_remembered() -> None:
    # The validation is cached per URL string: a 1 MB "URL" kept as a cache key would let a folder
    # of such files pin hundreds of megabytes in a parse worker.
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(20):
            assert safe_url(f"https://example.com/{n}/" + "a" * 1_000_000) is None
            assert canonical_url(f"https://example.com/{n}/" + "%" * 1_000_000) == ""
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2_000_000, f"{kept:,} bytes kept after refusing 40 MB of URLs"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/" + "%" * 4000,
        "https://example.com/?" + "&a" * 2000,
        "https://example.com/?" + "a=" * 2000,
        "https://" + "a." * 120 + "com/",
        "https://" + "a" * 4000 + "/",
        "https://a.cdn.ampproject.org/c/s/" * 120,
        "https://example.com/" + "%2" * 1300,
    ],
)
def test_adversarial_urls_are_fast(url: str) -> None:
    started = time.perf_counter()
    for _ in range(20):
        canonical_url(url + "x" * _)  # distinct strings: no help from the cache
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("tracker", ["ref", "ref_src", "igshid", "_ga", "mkt_tok", "at_medium"])
def test_canonical_url_drops_the_trackers_courlan_knows(tracker: str) -> None:
    """Copies of one article whose URLs differ only in a tracker get one id (issue 19 item 9)."""
    plain = "https://example.com/news/story?id=7"
    assert canonical_url(f"{plain}&{tracker}=twsrc%5Etfw") == canonical_url(plain)
    assert canonical_url(f"https://example.com/news/story?{tracker}=x") == canonical_url(
        "https://example.com/news/story"
    )


def test_canonical_url_keeps_parameters_that_name_the_article() -> None:
    for kept in ["id=7", "p=12", "story=parks", "page=2", "article=99"]:
        assert kept in canonical_url(f"https://example.com/a?{kept}&utm_source=x")


# -- the fast paths give what the general ones give -----------------------------------------------

_URL_CHARS = st.sampled_from(list("aZ09.-_~+,=:@/%?#&;!$'()*[] \t\\\u00e9\u202e") + ["%41", "%7e"])
_URLS = st.one_of(
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}{path}",
        st.sampled_from(["http", "https", "HTTP", "ftp", "javascript"]),
        st.sampled_from(
            [
                "example.com",
                "EXAMPLE.com",
                "a..b",
                "x.",
                "127.0.0.1",
                "0x7f.1",
                "[::1]",
                "host:8080",
                "host:443",
                "u@h.com",
                "bücher.de",
                "-a.com",
            ]
        ),
        st.one_of(
            st.lists(_URL_CHARS, max_size=20).map("".join),
            # paths the shortcut may take, with at most one character it must not
            st.builds(
                lambda safe, odd, at: "/" + safe[:at] + odd + safe[at:],
                st.text("aZ09.-_+,=:@/", max_size=12),
                st.sampled_from(["", "", "~", "%", "%41", "?q=1", "#f", "!", " ", "\u00e9", "*"]),
                st.integers(0, 12),
            ),
        ),
    ),
    st.lists(_URL_CHARS, max_size=30).map(lambda cs: "https://" + "".join(cs)),
)


@settings(max_examples=400, deadline=None)
@given(_URLS)
def test_the_plain_url_shortcut_gives_what_the_general_path_gives(url: str) -> None:
    from newsreader.ingest import urls

    urls._safe_str.cache_clear()
    fast = urls._safe_str(url)
    plain, urls._PLAIN = urls._PLAIN, re.compile(r"(?!)")
    try:
        urls._safe_str.cache_clear()
        general = urls._safe_str(url)
    finally:
        urls._PLAIN = plain
        urls._safe_str.cache_clear()
    assert fast == general


@settings(max_examples=400, deadline=None)
@given(_URLS)
def test_a_safe_urls_parts_are_what_urlsplit_gives(url: str) -> None:
    from urllib.parse import urlsplit

    from newsreader.ingest.urls import _parts

    safe = safe_url(url)
    if safe is not None:
        split = urlsplit(safe)
        assert _parts(safe) == (split.netloc, split.path, split.query)
