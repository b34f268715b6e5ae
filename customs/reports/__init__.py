"""Monthly report packages for regulators, one per jurisdiction and month.

``build_month(settings, "2026-09")`` writes ``CUSTOMS_HOME/reports/<jurisdiction>/2026-09/``
(report.html, report.pdf, extracts.xlsx, csv/, ioss/, manifest.json) from the published snapshot;
``verify(settings)`` recomputes every hash and checks the month-to-month manifest chain.
Modules: data (queries), charts, html, pdf, extracts, ioss, manifest, package (orchestration).
"""

from customs.reports.package import PackageResult, build_month, verify

__all__ = ["PackageResult", "build_month", "verify"]
