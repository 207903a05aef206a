"""Validate untrusted URLs, and reduce them to keys that identify an article.

A URL from an article file may end up on an opener's command line or in the terminal, so
``safe_url`` lets through only plain http(s) URLs to a real host, re-serialised with every
character that a shell, a terminal or a spoofer could use percent-encoded: a user's
``sh -c 'browser %s'`` wrapper sees only inert text (the one ``?`` and the ``&`` before a
``name=`` parameter stay: the shell reads them as a glob that matches no file and as a
background job followed by a variable assignment). ``canonical_url``
then maps the many addresses of one article (http/https, www, AMP pages, the Google AMP cache,
tracking parameters) to a single key.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

MAX_URL_LENGTH = 4096

_DEFAULT_PORTS = {"http": 80, "https": 443}

#: Kept as they are; everything else is percent-encoded. The unreserved characters but ``~``, and
#: the sub-delimiters that mean nothing to a shell. ``! $ & ' ( ) * ;`` are sub-delimiters too and
#: ``~`` is unreserved, but a shell acts on them (background, history, glob, tilde), so they are
#: encoded; servers decode them back. A URL may reach a user's ``sh -c 'browser %s'`` wrapper.
_PATH_SAFE = r"A-Za-z0-9._+,=:@/\-"
_ESCAPE = re.compile(rf"%(?![0-9A-Fa-f]{{2}})|[^{_PATH_SAFE}%]")
#: A query parameter that a shell reads as a harmless variable assignment (``name=value``), so
#: the ``&`` before it can stay a separator: ``sh -c 'browser URL'`` then runs nothing more than
#: the browser in the background and an assignment. Any other ``&`` is encoded: in
#: ``?a=1&./pwn.sh`` the text after it would run as a command.
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
#: Variables whose assignment changes what a later command in the wrapper runs (``PATH``, zsh's
#: tied ``path``, ``IFS``, ``LD_PRELOAD`` ...): never after a kept ``&``.
_SHELL_VARIABLES = frozenset(
    {"path", "cdpath", "fpath", "module_path", "ifs", "env", "bash_env", "home", "shellopts"}
)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
#: A URL ``_safe_str`` keeps as it is but for the host's normal form (see ``_hostname``).
_PLAIN = re.compile(rf"(https?)://([a-z0-9.-]+)(/[{_PATH_SAFE}]*)?", re.ASCII)
#: Unreserved characters an escape is decoded to: ``%7E`` stays, as ``~`` is shell tilde expansion.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._")

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_PORT = re.compile(r"[0-9]{1,5}")

#: Query parameters that track the click, not the article.
_TRACKING = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "usqp"})
#: Tracker parameter names, as courlan (a trafilatura dependency) lists them in
#: ``courlan.clean.TRACKERS_RE``, from the AdGuard, ClearURLs and Firefox query-stripping
#: lists. Copied rather than imported: the reader's process checks URLs without loading courlan.
_TRACKERS = re.compile(
    r"^(?:dc|fbc|gc|twc|yc|ysc)lid|"
    r"^(?:click|gbra|msclk|igsh|partner|wbra)id|"
    r"^(?:ads?|mc|ga|gs|itm|mc|mkt|ml|mtm|oly|pk|utm|vero)_|"
    r"(?:\b|_)(?:aff|affi|affiliate|campaign|cl?id|eid|ga|gl|"
    r"kwd|keyword|medium|ref|referr?er|session|source|uid|xtor)"
)
#: Google AMP cache (``<host>.cdn.ampproject.org/c/s/<origin>/<path>``) and viewer
#: (``google.com/amp/s/<origin>/<path>``) prefixes; ``s/`` means the origin is https.
_AMP_CACHE = re.compile(r"/(?:c|v|i|r|wp)/(?:s/)?")
_AMP_VIEWER = re.compile(r"/amp/(?:s/)?")


def safe_url(url: object) -> str | None:
    """A validated, re-serialised http(s) URL, or None.

    Refused: anything but a ``str``; schemes other than http and https; a leading ``-``; control,
    format (bidi, zero-width), surrogate or whitespace characters anywhere after stripping the
    ends; a backslash in the authority; userinfo (``user:pass@host``), because in a news link it
    is almost always a spoof (``https://bank.com@evil.example/``) and dropping it would silently
    change what the reader is shown; a host that is not a valid DNS/IDNA name or IP literal
    (all-numeric "hostnames" such as ``2130706433`` or ``0x7f.1`` included, which browsers read
    as IPv4); a port that is not 1-65535; more than ``MAX_URL_LENGTH`` characters.

    The result has the scheme and host lower-cased, the host IDNA-encoded to ASCII, the default
    port dropped, an empty path written as ``/``, and path, query and fragment percent-encoded
    for anything outside a small safe set: every shell metacharacter (quotes,
    ``& ; | ` $ ( ) < > { } [ ] * ? ! # ~ \\ ^``), a lone ``%``, non-ASCII. In the query, empty
    parameters are dropped and ``&`` stays a separator only before a ``name=`` parameter whose
    name is a shell identifier (``?id=1&page=2``); elsewhere it is encoded (``%26``). Existing
    ``%XX`` escapes are kept (upper-cased); escaped unreserved characters but ``~`` are decoded.
    The result contains only printable ASCII.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    # Measured before the cache: a megabyte "URL" must not be kept as a cache key.
    return _safe_str(url) if 0 < len(url) <= MAX_URL_LENGTH else None


# An article's URLs go through here several times (its fields, identity keys, domain), and
# hosts repeat across a folder: both are worth remembering a while.
@lru_cache(maxsize=4096)
def _safe_str(url: str) -> str | None:
    if plain := _PLAIN.fullmatch(url):
        # Most URLs: a lower-case scheme, a plain host and a path that needs no escaping. What
        # the general path below gives for them, without splitting and re-encoding.
        host = _hostname(plain[2])
        result = f"{plain[1]}://{host}{plain[3] or '/'}"
        return result if host is not None and len(result) <= MAX_URL_LENGTH else None
    if url.startswith("-") or not _printable(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    authority = _authority(parts.netloc, scheme)
    if authority is None:
        return None
    path = _encode(parts.path) or "/"
    result = f"{scheme}://{authority}{path}"
    if query := _query(parts.query):
        result += "?" + query
    if parts.fragment:
        result += "#" + _encode(parts.fragment)
    return result if len(result) <= MAX_URL_LENGTH else None


def canonical_url(url: object) -> str:
    """A key for article identity, or ``""`` if ``url`` is not a safe http(s) URL.

    ``host[:port]/path[?query]`` with: the scheme dropped (http and https are the same article);
    a leading ``www.`` or ``amp.`` dropped from the host; ports 80 and 443, trailing slash and
    fragment dropped; ``utm_*`` and click-tracking parameters (``fbclid``, ``gclid``, courlan's list ...)
    dropped, other parameters kept in order. AMP variants map to the plain page's key: Google AMP
    cache and viewer URLs are unwrapped to the origin URL they carry; every ``amp`` path segment
    is dropped (``/foo/amp/`` and ``/news/123/amp/story.html``), as are a ``.amp`` suffix
    (``story.amp``, ``story.amp.html``) and the ``amp`` and ``outputType=amp`` parameters.
    """
    if not isinstance(url, str):
        return ""
    url = url.strip()
    return _canonical_str(url) if 0 < len(url) <= MAX_URL_LENGTH else ""


# An article's URL keys and each related link's domain ask for the same URLs again, and related
# links repeat across a folder (coverage of one story): worth remembering a while.
@lru_cache(maxsize=4096)
def _canonical_str(url: str) -> str:
    safe = safe_url(url)
    if safe is None:
        return ""
    host, path, query = _parts(safe)
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    inner = _unwrap_amp(hostname, path, query)
    if inner is not None and (key := canonical_url(inner)):
        return key
    # Without the scheme, :80 and :443 are both "the default port".
    host = host.removesuffix(":80").removesuffix(":443")
    for prefix in ("www.", "amp."):
        if host.startswith(prefix) and "." in host[len(prefix) :]:
            host = host[len(prefix) :]
            break
    segments = [_strip_amp_suffix(seg) for seg in path.split("/") if seg and seg != "amp"]
    kept = [param for param in query.split("&") if param and not _is_noise(param)]
    key = host + "".join("/" + seg for seg in segments)
    return key + "?" + "&".join(kept) if kept else key


def _parts(safe: str) -> tuple[str, str, str]:
    """The authority, path and query of a URL ``safe_url`` gave, as ``urlsplit`` would split
    them: such a URL escapes every ``/``, ``?`` and ``#`` but the delimiters, so plain string
    splits do (at a third of the cost)."""
    rest = safe.split("://", 1)[1].split("#", 1)[0]
    rest, _, query = rest.partition("?")
    host, slash, path = rest.partition("/")
    return host, slash + path, query


def domain_of(url: str) -> str:
    """The host of ``url`` as ``canonical_url`` sees it, without port or ``www.``; ``""`` if none.

    The host stays in its ASCII (punycode) form, so a look-alike Unicode domain cannot pass for
    the real one. AMP cache URLs give the origin's domain.
    """
    host = canonical_url(url).split("/", 1)[0].split("?", 1)[0]
    return host if host.endswith("]") else host.rsplit(":", 1)[0]


def _printable(url: str) -> bool:
    """No whitespace, control, format (bidi, zero-width) or surrogate characters."""
    if url.isascii():
        return url.isprintable() and " " not in url
    return not any(
        char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp")
        for char in url
    )


def _authority(netloc: str, scheme: str) -> str | None:
    """``host[:port]`` validated and normalised, or None."""
    if not netloc or "@" in netloc or "\\" in netloc:
        return None
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            return None
        host = _ip6(netloc[1:end])
        rest = netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:] if rest else ""
    else:
        name, colon, port = netloc.partition(":")
        if colon and ":" in port:
            return None
        host = _hostname(name)
    if host is None:
        return None
    if port == "":
        return host
    if not _PORT.fullmatch(port) or not 0 < int(port) <= 65535:
        return None
    return host if int(port) == _DEFAULT_PORTS[scheme] else f"{host}:{int(port)}"


def _ip6(literal: str) -> str | None:
    """``[address]`` for a valid IPv6 literal (no zone id), else None."""
    if "%" in literal:
        return None
    try:
        return f"[{ipaddress.IPv6Address(literal).compressed}]"
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _hostname(name: str) -> str | None:
    """A DNS name (IDNA-encoded to ASCII, lower-case) or dotted-quad IPv4, else None."""
    name = name.lower()
    if name.endswith("."):
        name = name[:-1]
    if not name or "%" in name:
        return None
    try:
        return str(ipaddress.IPv4Address(name))
    except ValueError:
        pass
    try:
        # The stdlib codec implements IDNA 2003 (nameprep), enough to turn real Unicode domain
        # names into their xn-- form; the label check below still rejects anything odd.
        ascii_name = name.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        return None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # Browsers read a numeric last label as an IPv4 address in another notation.
        return None
    return ascii_name


def _encode(part: str) -> str:
    """Percent-encode everything outside ``_PATH_SAFE``; normalise existing escapes."""
    part = _PERCENT.sub(_normalise_escape, part)
    return _ESCAPE.sub(_escape, part)


def _escape(match: re.Match[str]) -> str:
    # Not urllib's quote(): it never encodes "~".
    return "".join(f"%{byte:02X}" for byte in match.group().encode())


def _query(query: str) -> str:
    """The query encoded, empty parameters dropped, ``&`` kept only before a safe assignment."""
    params = [_encode(param) for param in query.split("&") if param]
    if not params:
        return ""
    joined = [params[0]]
    for param in params[1:]:
        assignment = _ASSIGNMENT.match(param)
        name = assignment.group(1).lower() if assignment else ""
        safe = name and name not in _SHELL_VARIABLES and not name.startswith("ld_")
        joined.append(("&" if safe else "%26") + param)
    return "".join(joined)


def _normalise_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group()[1:], 16))
    return char if char in _UNRESERVED else match.group().upper()


def _unwrap_amp(host: str, path: str, query: str) -> str | None:
    """The origin URL inside a Google AMP cache or viewer URL, else None."""
    if host.endswith(".cdn.ampproject.org"):
        match = _AMP_CACHE.match(path)
    elif host in ("google.com", "www.google.com"):
        match = _AMP_VIEWER.match(path)
    else:
        return None
    if match is None:
        return None
    scheme = "https" if match.group().endswith("/s/") else "http"
    inner = f"{scheme}://{path[match.end() :]}"
    return inner + "?" + query if query else inner


def _strip_amp_suffix(segment: str) -> str:
    """``story.amp`` -> ``story``, ``story.amp.html`` -> ``story.html``."""
    if segment.endswith(".amp") and len(segment) > 4:
        return segment[:-4]
    if segment.endswith(".amp.html") and len(segment) > 9:
        return segment[:-9] + ".html"
    return segment


def _is_noise(param: str) -> bool:
    """A tracking or AMP-switch query parameter."""
    name, _, value = param.partition("=")
    name = name.lower()
    return (
        name.startswith("utm_")
        or name in _TRACKING
        or _TRACKERS.search(name) is not None
        or name == "amp"
        or (name == "outputtype" and value.lower() == "amp")
    )
