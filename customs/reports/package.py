"""One jurisdiction-month package, built in a temporary folder and swapped into place.

``reports/<jurisdiction>/<YYYY-MM>/``: report.html, report.pdf, extracts.xlsx, csv/*.csv,
ioss/<IOSS number>.json (member states identifying IOSS numbers), manifest.json. Rebuilding a
month replaces its whole folder (nothing stale survives) and re-links later months' manifests.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from customs.reports import charts, data, extracts, html, ioss, manifest, pdf
from customs.settings import Settings

MAX_WORKERS = 2
"""Processes rendering packages at once (the machine's cores, at most this)."""


@dataclass(frozen=True)
class PackageResult:
    jurisdiction: str
    month: str
    path: Path
    files: int
    ioss_returns: int
    seconds: float


def new_run_id() -> str:
    return f"report__{datetime.now(UTC):%Y%m%dT%H%M%SZ}_{uuid.uuid4().hex[:8]}"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def write_package(settings: Settings, report: data.ReportData, run_id: str) -> PackageResult:
    started = time.monotonic()
    made_at = _now()
    target = settings.reports_dir / report.jurisdiction / report.month
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{report.month}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        rendered = charts.render_all(report)
        (tmp / "report.html").write_text(
            html.render(report, rendered, run_id, made_at), encoding="utf-8"
        )
        (tmp / "report.pdf").write_bytes(pdf.render(report, rendered, run_id, made_at))
        extracts.write_workbook(report, tmp / "extracts.xlsx")
        extracts.write_csv(report, tmp / "csv")
        returns = ioss.write_returns(report, tmp / "ioss", made_at)
        listed = manifest.write(tmp, report.jurisdiction, report.month, run_id, made_at, target)
        old = target.with_name(f".{report.month}.old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    manifest.relink_after(target.parent, report.month)
    return PackageResult(
        jurisdiction=report.jurisdiction,
        month=report.month,
        path=target,
        files=len(listed["files"]) + 1,
        ioss_returns=len(returns),
        seconds=time.monotonic() - started,
    )


def build_month(
    settings: Settings,
    month: str,
    jurisdictions: list[str] | None = None,
    run_id: str | None = None,
) -> list[PackageResult]:
    """Build the month's package of each jurisdiction (default: every one with data that month).

    Reads the published snapshot in one short connection, closed before rendering.
    """
    data.month_bounds(month)  # raises ValueError on a malformed month
    run_id = run_id or new_run_id()
    with data.connect(settings.published_path) as con:
        wanted = jurisdictions or data.jurisdictions(con, month)
        reports = [data.load(con, j.upper(), month) for j in wanted]
    workers = min(MAX_WORKERS, os.cpu_count() or 1, len(reports))
    if workers < 2:
        return [write_package(settings, report, run_id) for report in reports]
    # Rendering is CPU-bound (charts, PDF layout); packages are independent, one folder each.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(write_package, settings, r, run_id) for r in reports]
        return [future.result() for future in futures]


def verify(settings: Settings, jurisdiction: str | None = None) -> tuple[int, list[str]]:
    return manifest.verify(settings.reports_dir, jurisdiction.upper() if jurisdiction else None)
