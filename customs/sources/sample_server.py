"""A loopback HTTP order API serving recorded pages, for the demo and the tests.

Pages are files ``<dir>/<feed>/<YYYY-MM-DD>/page-00001.json`` (``orderapi.json`` documents with a
``next_cursor``). ``GET /<feed>?date=YYYY-MM-DD`` returns page 1, ``&cursor=p<N>`` (or ``&page=<N>``) page N; a
day without pages returns ``{"orders": [], "next_cursor": null}``. With a token, requests
without ``Authorization: Bearer <token>`` get 401. ``faults`` makes it fail on purpose: a
cycle of responses given before the real ones (``429``, ``500``, ``503``, ``timeout`` = answer
after ``slow`` seconds, ``ok``), one per request.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

EMPTY = b'{"orders": [], "next_cursor": null}'


class SampleApi:
    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        faults: Iterable[str] = (),
        slow: float = 2.0,
    ) -> None:
        self.root = Path(root)
        self.token = token
        self.slow = slow
        faults = list(faults)
        self._faults = itertools.cycle(faults) if faults else None
        self._lock = threading.Lock()
        self.requests: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                api._handle(self)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _next_fault(self) -> str:
        with self._lock:
            return next(self._faults) if self._faults else "ok"

    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            handler.send_header(k.replace("_", "-"), v)
        handler.end_headers()
        handler.wfile.write(body)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(handler.path)
        if self.token and handler.headers.get("Authorization") != f"Bearer {self.token}":
            return self._send(handler, 401, b'{"error": "unauthorized"}')
        fault = self._next_fault()
        if fault == "timeout":
            time.sleep(self.slow)
        elif fault in ("429", "500", "502", "503"):
            extra = {"Retry_After": "0"} if fault == "429" else {}
            return self._send(handler, int(fault), b'{"error": "try again"}', **extra)
        url = urlparse(handler.path)
        feed = url.path.strip("/")
        query = parse_qs(url.query)
        day = query.get("date", [""])[0]
        page_no = query.get("page", [""])[0]
        cursor = query.get("cursor", [f"p{page_no}" if page_no else "p1"])[0]
        if not re.fullmatch(r"[a-z_]+", feed) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            return self._send(handler, 400, b'{"error": "feed and date=YYYY-MM-DD required"}')
        match = re.fullmatch(r"p(\d{1,6})", cursor)
        if not match:
            return self._send(handler, 400, b'{"error": "bad cursor"}')
        page = self.root / feed / day / f"page-{int(match.group(1)):05d}.json"
        self._send(handler, 200, page.read_bytes() if page.is_file() else EMPTY)

    def start(self) -> SampleApi:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> SampleApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
