"""Failure alerts: the alert line names the task and day; the webhook gets it; a dead webhook
does not raise; every task of the DAGs carries the callback."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from customs import alerts
from customs.airflow_local import load_dags


def _context(error: Exception) -> dict:
    ti = SimpleNamespace(
        dag_id="customs_daily",
        task_id="standardize",
        map_index=3,
        try_number=3,
        log_url="http://127.0.0.1:8080/dags/customs_daily/runs/r1/tasks/standardize?map_index=3",
    )
    return {
        "ti": ti,
        "run_id": "scheduled__2026-09-08T00:00:00+00:00",
        "data_interval_start": datetime(2026, 9, 7, tzinfo=UTC),
        "exception": error,
    }


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_alert_line_names_dag_task_day_error_and_log():
    text = alerts.alert_text(_context(ValueError("orders: 2 file(s) rejected\nwhole")))
    assert text.startswith("CUSTOMS ALERT: customs_daily.standardize[3] failed")
    assert "data interval 2026-09-07" in text
    assert "ValueError: orders: 2 file(s) rejected whole" in text
    assert "try 3" in text and "log: http://127.0.0.1:8080/" in text
    assert "\n" not in text


def test_on_failure_logs_and_posts_to_the_webhook(monkeypatch, caplog, webhook):
    url, received = webhook
    monkeypatch.setenv(alerts.WEBHOOK_ENV, url)
    with caplog.at_level(logging.ERROR, logger="customs.alerts"):
        alerts.on_failure(_context(RuntimeError("boom")))
    assert [r.message for r in caplog.records if r.message.startswith("CUSTOMS ALERT")]
    assert len(received) == 1
    assert received[0]["text"].startswith("CUSTOMS ALERT: customs_daily.standardize[3]")
    assert "RuntimeError: boom" in received[0]["text"]


def test_a_dead_webhook_is_logged_not_raised(monkeypatch, caplog):
    monkeypatch.setenv(alerts.WEBHOOK_ENV, "http://127.0.0.1:9/nothing-listens-here")
    with caplog.at_level(logging.WARNING, logger="customs.alerts"):
        alerts.on_failure(_context(RuntimeError("boom")))
    assert any("webhook" in r.message and "failed" in r.message for r in caplog.records)


# The DAGs of the daily load; a new DAG passes ``on_failure`` in its default_args and joins here.
ALERTING_DAGS = ("customs_daily", "customs_marts")


def test_every_task_of_the_load_dags_alerts_on_failure():
    dags = load_dags()
    for dag_id in ALERTING_DAGS:
        dag = dags[dag_id]
        for task in dag.tasks:
            callbacks = task.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert alerts.on_failure in callbacks, (dag.dag_id, task.task_id)


def test_deadline_callback_names_the_run(monkeypatch, caplog, webhook):
    url, received = webhook
    monkeypatch.setenv(alerts.WEBHOOK_ENV, url)
    with caplog.at_level(logging.ERROR, logger="customs.alerts"):
        alerts.on_deadline_missed(
            context={"dag_run": {"dag_id": "customs_daily", "run_id": "scheduled__x"}},
            message="day not loaded within 3 h",
        )
    expected = "CUSTOMS ALERT: customs_daily scheduled__x missed its deadline"
    assert received[0]["text"] == f"{expected} | day not loaded within 3 h"
    assert any(r.message.startswith(expected) for r in caplog.records)
