"""A real HTTP server on 127.0.0.1 (a free port, a thread of the test process) for the feed
tests, and a guard that fails any test whose code would connect anywhere but loopback."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (a slow server).
    delay: float = 0.0
    #: Answer 304 when the request's If-None-Match equals this.
    etag: str = ""
    #: Answer 304 when the request's If-Modified-Since equals this.
    last_modified: str = ""
    #: gzip the body (and say so) when the client accepts it.
    gzip: bool = False
    #: Computes the answer from the request instead (status, headers, body).
    handler: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]] | None = None


class FeedServer:
    """Routes by path; records every request's path and headers."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, {}, b"not found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.handler is not None:
                    self._send(*route.handler(self))
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self._send(304, {"ETag": route.etag}, b"")
                    return
                if (
                    route.last_modified
                    and self.headers.get("If-Modified-Since") == route.last_modified
                ):
                    self._send(304, {}, b"")
                    return
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                body = route.body
                if route.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                self._send(route.status, headers, body)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a size cap, a timeout): as intended

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The full URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> str:
        """Serve ``body`` (or what ``kwargs`` say) on ``path``; returns the URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> list[dict[str, str]]:
        """The headers of each request made for ``path``."""
        return [headers for p, headers in self.requests if p == path]


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the environment, and any connection but to 127.0.0.1 fails the test."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    real = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        assert host in ("127.0.0.1", "::1"), f"a test tried to reach {address!r}"
        real(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def server(loopback_only: None) -> Iterator[FeedServer]:
    """A running server; shut down after the test."""
    feed_server = FeedServer()
    feed_server.thread.start()
    try:
        yield feed_server
    finally:
        feed_server.httpd.shutdown()
        feed_server.httpd.server_close()
