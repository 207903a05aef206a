"""HTTP for feeds and pages, as a polite client.

Conditional GET, gzip and deflate, at most five redirects (followed here, so a permanent one
can update the subscription), timeouts and an overall deadline, a size cap read as a stream,
at most two requests at a time to a host and eight in all, ``Retry-After`` read on 429 and
503, a User-Agent naming the app, proxies from the environment (httpx's ``trust_env``), and
only http and https, on every hop.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from newsreader import __version__
from newsreader.ingest.sanitize import clean_line
from newsreader.ingest.urls import safe_url

USER_AGENT = f"newsreader/{__version__} (terminal news reader; feed fetcher)"
MAX_REDIRECTS = 5
PER_HOST = 2
IN_ALL = 8
#: A feed is seldom over 2 MB; 10 MB holds a very long one. A page is cut at 5 MB.
MAX_FEED_BYTES = 10 * 1024 * 1024
MAX_PAGE_BYTES = 5 * 1024 * 1024
#: Seconds to connect and between two reads; a whole response must come within the deadline.
TIMEOUT = 20.0
DEADLINE = 60.0
#: A Retry-After further away than this is read as this: a week.
MAX_RETRY_AFTER = 7 * 24 * 3600
_PERMANENT = (301, 308)


class FetchError(Exception):
    """A fetch that failed; the message is one line for the user. ``retry_at`` is set when
    the server asked to be left alone until then (429 or 503 with ``Retry-After``)."""

    def __init__(self, message: str, retry_at: int | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


@dataclass
class Response:
    """A finished fetch: 200 with a body, or 304 (not modified)."""

    status: int
    url: str
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    #: The URL every redirect on the way was permanent to, if any.
    moved_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class Fetcher:
    """One httpx client shared by the fetch's threads, with the per-host and overall limits."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT,
        deadline: float = DEADLINE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.deadline = deadline
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=IN_ALL, max_keepalive_connections=IN_ALL),
            follow_redirects=False,
            trust_env=True,
            transport=transport,
        )
        self._all = threading.BoundedSemaphore(IN_ALL)
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connections."""
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _host(self, url: str) -> threading.BoundedSemaphore:
        host = urlsplit(url).netloc
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = threading.BoundedSemaphore(PER_HOST)
            return self._hosts[host]

    def get(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        limit: int = MAX_FEED_BYTES,
        accept: str = "application/rss+xml, application/atom+xml, application/feed+json,"
        " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8",
    ) -> Response:
        """GET ``url``, following up to five redirects. Raises FetchError for any failure."""
        started = time.monotonic()
        current = safe_url(url)
        if current is None:
            raise FetchError(f"not an http(s) URL: {clean_line(url, 100)}")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        moved_to = ""
        permanent = True
        seen = {current}
        for _ in range(MAX_REDIRECTS + 1):
            with self._all, self._host(current):
                try:
                    result = self._one(current, headers, limit, started)
                except httpx.TimeoutException:
                    raise FetchError(f"timed out after {self.client.timeout.read:g} s") from None
                except httpx.HTTPError as error:
                    raise FetchError(_network_error(error)) from None
                except httpx.InvalidURL as error:  # a redirect httpx itself can't parse
                    raise FetchError(
                        f"redirect to a bad URL: {clean_line(str(error), 100)}"
                    ) from None
            if isinstance(result, Response):
                result.moved_to = moved_to
                return result
            status, location = result
            target = safe_url(urljoin(current, location)) if location else None
            if target is None:
                raise FetchError(f"HTTP {status} redirect to a non-http(s) or bad URL")
            if target in seen:
                raise FetchError("redirect loop")
            seen.add(target)
            permanent = permanent and status in _PERMANENT
            moved_to = target if permanent else ""
            current = target
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _one(
        self, url: str, headers: dict[str, str], limit: int, started: float
    ) -> Response | tuple[int, str]:
        with self.client.stream("GET", url, headers=headers) as reply:
            status = reply.status_code
            if status in (301, 302, 303, 307, 308):
                return status, reply.headers.get("location", "")
            if status == 304:
                return Response(304, url, etag=headers.get("If-None-Match", ""))
            if status in (429, 503):
                retry = retry_at(reply.headers.get("retry-after", ""))
                when = f"; retry after {_clock(retry)}" if retry else ""
                raise FetchError(f"HTTP {status} {reply.reason_phrase}{when}", retry)
            if status != 200:
                raise FetchError(f"HTTP {status} {clean_line(reply.reason_phrase, 60)}")
            declared = reply.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(f"too large: {int(declared):,} bytes (limit {limit:,})")
            chunks = []
            size = 0
            # Decoded bytes are counted, so a small gzip bomb is stopped too.
            for chunk in reply.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"too large: over {limit:,} bytes")
                if time.monotonic() - started > self.deadline:
                    raise FetchError(f"too slow: not finished in {self.deadline:g} s")
                chunks.append(chunk)
            return Response(
                200,
                url,
                b"".join(chunks),
                content_type=reply.headers.get("content-type", ""),
                etag=reply.headers.get("etag", ""),
                last_modified=reply.headers.get("last-modified", ""),
                headers=dict(reply.headers),
            )


def retry_at(value: str, now: float | None = None) -> int | None:
    """The epoch second a ``Retry-After`` header (seconds or an HTTP date) names, or None."""
    now = time.time() if now is None else now
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return int(now + min(int(value), MAX_RETRY_AFTER))
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return int(min(max(when, now), now + MAX_RETRY_AFTER))


def _clock(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _network_error(error: httpx.HTTPError) -> str:
    """One line for a connection failure, without the exception's chain."""
    text = clean_line(str(error), 160) or type(error).__name__
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect: {text}"
    if isinstance(error, httpx.DecodingError):
        return f"bad compressed data: {text}"
    return text
