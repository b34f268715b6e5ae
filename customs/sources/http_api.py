"""Pull a feed's day from an HTTP JSON API: paginated, authenticated, retried, resumable.

Every page is landed as received (its bytes unchanged, named by hash, one manifest row with
``source`` = the source name and ``source_file`` = ``<source>:<feed>/<day>/page-00001.<format>``)
**before** the cursor moves on, and the cursor is saved after each page under
``CUSTOMS_HOME/state/sources/<source>/<feed>/<day>.json``. A pull that fails half way (the
task fails after its retries) resumes from the last saved cursor on the next try; a page
received twice has the same content and is recognised. A finished pull is marked
``complete`` and not requested again (delete the state file to pull the day again).

Retries (tenacity): on timeouts and transport errors, on 429 and on 5xx, with exponential
backoff and jitter, honouring ``Retry-After`` (seconds) up to ``max_wait``; other 4xx fail at
once (a wrong token does not get better by retrying). Loops are bounded: ``max_pages``.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from customs.settings import Settings
from customs.sources.config import SourceConfig, SourceConfigError

log = logging.getLogger(__name__)


class RetryableStatus(Exception):
    """A response worth retrying (429, 5xx)."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class PullError(RuntimeError):
    """The API could not be pulled (after retries); the message names source, feed and day."""


@dataclass
class CursorState:
    cursor: str | None = None
    pages: int = 0
    complete: bool = False

    @classmethod
    def load(cls, path: Path) -> CursorState:
        if not path.exists():
            return cls()
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(asdict(self)), encoding="utf-8")
        os.replace(tmp, path)


def state_path(settings: Settings, source: str, feed: str, interval: date) -> Path:
    return settings.state_dir / "sources" / source / feed / f"{interval.isoformat()}.json"


def bearer_token(settings: Settings, src: SourceConfig) -> str | None:
    """The token named by ``auth``: an environment secret or an Airflow connection's password."""
    auth = src.get("auth") or {}
    if "token_env" in auth:
        name = auth["token_env"]
        if name not in settings.secrets:
            raise SourceConfigError(
                f"{src.feed}/{src.name}: token variable {name} is not set (secrets are read "
                "from CUSTOMS_SECRET_* environment variables)"
            )
        return settings.secrets[name]
    if "airflow_conn" in auth:
        from airflow.sdk import Connection

        return Connection.get(auth["airflow_conn"]).password
    return None


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def fetch(client: Any, url: str, params: dict[str, str], policy: dict[str, Any]) -> bytes:
    """GET ``url`` with retries (see the module docstring); the body's bytes."""
    import httpx
    from tenacity import (
        Retrying,
        retry_if_exception_type,
        stop_after_attempt,
        wait_exponential_jitter,
    )

    attempts = int(policy.get("attempts", 6))
    initial = float(policy.get("initial_wait", 0.5))
    max_wait = float(policy.get("max_wait", 30))
    backoff = wait_exponential_jitter(initial=initial, max=max_wait, jitter=initial)

    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = exc.retry_after if isinstance(exc, RetryableStatus) else None
        return min(max_wait, max(backoff(state), hinted or 0.0))

    def log_retry(state: Any) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("GET %s %s: %s, retry %d", url, params, exc, state.attempt_number)

    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait,
        retry=retry_if_exception_type((httpx.TransportError, RetryableStatus)),
        before_sleep=log_retry,
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            response = client.get(url, params=params)
            if response.status_code == 429 or response.status_code >= 500:
                raise RetryableStatus(response.status_code, _retry_after(response))
            response.raise_for_status()
            return response.content
    raise AssertionError("unreachable")  # pragma: no cover


def _render(params: dict[str, Any], interval: date) -> dict[str, str]:
    return {k: str(v).replace("{day}", interval.isoformat()) for k, v in params.items()}


def pull_http(settings: Settings, src: SourceConfig, feed: str, interval: date) -> list:
    """Pull one day from the API (see the module docstring); the :class:`LandedFile` of each
    page landed by this call (none when the day was pulled completely before)."""
    import httpx

    from transforms.landing import Delivery, land_deliveries
    from transforms.storage import tmp_dir

    path = state_path(settings, src.name, feed, interval)
    state = CursorState.load(path)
    if state.complete:
        log.info(
            "%s/%s %s: pulled completely before (%d pages)", feed, src.name, interval, state.pages
        )
        return []
    fmt = src.get("format")
    pagination = src.get("pagination") or {"style": "cursor"}
    style = pagination.get("style", "cursor")
    param = pagination.get("param", "cursor" if style == "cursor" else "page")
    cursor_field = pagination.get("field", "next_cursor")
    items_field = src.get("items", "orders")
    max_pages = int(src.get("max_pages", 10_000))
    headers = {"Accept": "application/json"}
    token = bearer_token(settings, src)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    timeout = httpx.Timeout(float(src.get("timeout", 30)))
    landed = []
    scratch = tmp_dir(settings)
    scratch.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=timeout, headers=headers, follow_redirects=True) as client:
        for _ in range(max_pages):
            params = _render(src.get("params") or {}, interval)
            if style == "cursor" and state.cursor is not None:
                params[param] = state.cursor
            elif style == "page":
                params[param] = str(state.pages + 1)
            try:
                body = fetch(client, src.get("url"), params, src.get("retries") or {})
            except Exception as exc:
                raise PullError(
                    f"{feed}/{src.name} {interval}: GET {src.get('url')} {params} failed after "
                    f"retries ({type(exc).__name__}: {exc}); resumes from page {state.pages + 1}"
                ) from exc
            document = json.loads(body)
            items = document.get(items_field) if isinstance(document, dict) else document
            count = len(items) if isinstance(items, list) else 0
            if count or style == "cursor":
                name = f"page-{state.pages + 1:05d}.{fmt}"
                tmp = scratch / f".pull-{uuid.uuid4().hex}"
                try:
                    tmp.write_bytes(body)
                    delivery = Delivery.of(
                        tmp, f"{src.name}:{feed}/{interval.isoformat()}/{name}", name
                    )
                    landed += land_deliveries(
                        settings, feed, interval, [delivery], source=src.name, replace=False
                    )
                finally:
                    tmp.unlink(missing_ok=True)
            state.pages += 1 if (count or style == "cursor") else 0
            if style == "cursor":
                nxt = document.get(cursor_field) if isinstance(document, dict) else None
                state.cursor = str(nxt) if nxt not in (None, "") else None
                state.complete = state.cursor is None
            else:
                state.complete = count == 0
            state.save(path)
            if state.complete:
                break
        else:
            raise PullError(f"{feed}/{src.name} {interval}: more than {max_pages} pages")
    log.info("%s/%s %s: %d pages landed", feed, src.name, interval, len(landed))
    return landed
