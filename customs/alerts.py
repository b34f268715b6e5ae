"""Failure alerts: the ``on_failure_callback`` of every task of the customs DAGs.

A task that has failed for good (retries exhausted) logs one line that starts with
``CUSTOMS ALERT`` (DAG, task, data interval, try, error, log address), easy to route from any
log shipper, and, when a webhook is configured, posts the same text as JSON
(``{"text": ...}``, the shape chat tools' incoming webhooks accept). The webhook is the
``CUSTOMS_ALERT_WEBHOOK`` environment variable or, failing that, the Airflow connection
``customs_alerts`` (its host is the full URL, or ``schema://host:port/path``). A failing webhook
never hides the task's own error: it is logged and ignored.

Standard library only: the DAG files import this module at parse time.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("customs.alerts")

ALERT_PREFIX = "CUSTOMS ALERT"
WEBHOOK_ENV = "CUSTOMS_ALERT_WEBHOOK"
WEBHOOK_CONN_ID = "customs_alerts"
WEBHOOK_TIMEOUT = 10


def alert_text(context: Mapping[str, Any]) -> str:
    """One line naming what failed, for which day, and where its log is."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    if isinstance(map_index, int) and map_index >= 0:
        task_id = f"{task_id}[{map_index}]"
    start = context.get("data_interval_start")
    day = start.date().isoformat() if hasattr(start, "date") else "?"
    run_id = context.get("run_id") or getattr(context.get("dag_run"), "run_id", "?")
    error = context.get("exception")
    reason = f"{type(error).__name__}: {error}" if error is not None else "no exception recorded"
    reason = " ".join(reason.split())[:500]
    parts = [
        f"{ALERT_PREFIX}: {dag_id}.{task_id} failed for data interval {day}",
        f"run {run_id}",
        f"try {getattr(ti, 'try_number', '?')}",
        reason,
    ]
    log_url = _safe(lambda: ti.log_url) if ti is not None else None
    if log_url:
        parts.append(f"log: {log_url}")
    return " | ".join(parts)


def _safe(getter):
    try:
        return getter()
    except Exception:  # an attribute the runtime does not provide: leave it out
        return None


def webhook_url() -> str | None:
    """``CUSTOMS_ALERT_WEBHOOK``, else the ``customs_alerts`` Airflow connection, else None."""
    url = os.environ.get(WEBHOOK_ENV)
    if url:
        return url

    def from_connection() -> str | None:
        from airflow.sdk import Connection

        conn = Connection.get(WEBHOOK_CONN_ID)
        if conn.host and "://" in conn.host:
            return conn.host
        return conn.get_uri() if conn.host else None

    return _safe(from_connection)


def post(url: str, text: str) -> bool:
    """POST ``{"text": text}`` to the webhook; True when it answered 2xx. Never raises."""
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as resp:
            return 200 <= resp.status < 300
    except Exception as exc:  # the alert must not mask the task's failure
        log.warning("%s: webhook %s failed: %s", ALERT_PREFIX, url, exc)
        return False


def on_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` of the customs tasks: log the alert line, post it if configured."""
    text = alert_text(context)
    log.error(text)
    url = webhook_url()
    if url:
        post(url, text)


def on_deadline_missed(context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """``SyncCallback`` of a ``DeadlineAlert``: a run has not finished by its deadline.

    ``kwargs`` may carry ``message`` (the alert's text); the DAG run's id and DAG are taken from
    the context when the runtime provides them.
    """
    context = context or {}
    dag_run = context.get("dag_run") or {}
    get = dag_run.get if isinstance(dag_run, Mapping) else lambda k: getattr(dag_run, k, None)
    what = " ".join(str(x) for x in (get("dag_id"), get("run_id")) if x) or "a DAG run"
    text = f"{ALERT_PREFIX}: {what} missed its deadline"
    if kwargs.get("message"):
        text += f" | {kwargs['message']}"
    log.error(text)
    url = webhook_url()
    if url:
        post(url, text)
