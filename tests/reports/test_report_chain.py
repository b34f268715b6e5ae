"""`customs verify`: the hashes and the month-to-month manifest chain; reruns keep it valid;
`customs report` from the command line; the monthly DAG's schedule."""

from __future__ import annotations

import json
import shutil

import pendulum
import pytest
from click.testing import CliRunner

from customs.cli import main as cli

AUGUST, SEPTEMBER = "2026-08", "2026-09"


@pytest.fixture
def copy_home(report_home, tmp_path):
    """A copy of the packages in a home of their own, so a test may alter them."""
    shutil.copytree(report_home.settings.reports_dir, tmp_path / "reports")
    shutil.copytree(report_home.settings.published_dir, tmp_path / "published")
    return tmp_path


def _chained_jurisdiction(report_home) -> str:
    """A jurisdiction with a package in both months."""
    months = [{p.jurisdiction for p in report_home.packages[m]} for m in (AUGUST, SEPTEMBER)]
    both = sorted(months[0] & months[1])
    assert both, "the sample has no jurisdiction with packages in both months"
    return both[0]


def _verify(home, *args):
    return CliRunner().invoke(cli, ["verify", *args], env={"CUSTOMS_HOME": str(home)})


def test_september_manifest_chains_to_august(report_home):
    jurisdiction = _chained_jurisdiction(report_home)
    folder = report_home.settings.reports_dir / jurisdiction
    september = json.loads((folder / SEPTEMBER / "manifest.json").read_text())
    august = json.loads((folder / AUGUST / "manifest.json").read_text())
    from customs.reports.manifest import sha256

    assert august["previous_manifest"] is None
    assert september["previous_manifest"]["month"] == AUGUST
    assert september["previous_manifest"]["sha256"] == sha256(folder / AUGUST / "manifest.json")
    listed = {f["path"] for f in september["files"]}
    assert {"report.html", "report.pdf", "extracts.xlsx"} <= listed
    assert {f["run_id"] for f in september["files"]} == {september["run_id"]}


def test_verify_passes_on_intact_packages(copy_home):
    result = _verify(copy_home)
    assert result.exit_code == 0, result.output
    assert "verified" in result.output


def test_verify_names_an_altered_file(report_home, copy_home):
    jurisdiction = _chained_jurisdiction(report_home)
    html = copy_home / "reports" / jurisdiction / SEPTEMBER / "report.html"
    html.write_text(html.read_text().replace("Value gap", "Value gaps", 1))
    result = _verify(copy_home)
    assert result.exit_code == 1
    assert f"{jurisdiction} {SEPTEMBER}: report.html was altered" in result.output
    assert "csv/" not in result.output  # only the altered file is named


def test_verify_names_an_altered_previous_manifest(report_home, copy_home):
    jurisdiction = _chained_jurisdiction(report_home)
    manifest = copy_home / "reports" / jurisdiction / AUGUST / "manifest.json"
    document = json.loads(manifest.read_text())
    document["run_id"] = "someone-else"
    manifest.write_text(json.dumps(document, indent=2) + "\n")
    result = _verify(copy_home, "--jurisdiction", jurisdiction)
    assert result.exit_code == 1
    assert f"previous manifest {jurisdiction} {AUGUST}/manifest.json was altered" in result.output


def test_verify_names_an_added_or_removed_file(report_home, copy_home):
    jurisdiction = _chained_jurisdiction(report_home)
    package = copy_home / "reports" / jurisdiction / SEPTEMBER
    (package / "csv" / "extra.csv").write_text("a\n1\n")
    (package / "report.pdf").unlink()
    result = _verify(copy_home)
    assert result.exit_code == 1
    assert "csv/extra.csv is not in the manifest" in result.output
    assert "report.pdf is missing" in result.output


def test_rebuilding_a_month_keeps_the_chain_valid(report_home, copy_home):
    jurisdiction = _chained_jurisdiction(report_home)
    env = {"CUSTOMS_HOME": str(copy_home)}
    before = (copy_home / "reports" / jurisdiction / SEPTEMBER / "manifest.json").read_text()
    result = CliRunner().invoke(
        cli, ["report", "--month", AUGUST, "--jurisdiction", jurisdiction], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"{jurisdiction} {AUGUST}:" in result.output
    after = (copy_home / "reports" / jurisdiction / SEPTEMBER / "manifest.json").read_text()
    assert after != before  # September re-linked to the rebuilt August manifest
    assert _verify(copy_home).exit_code == 0


def test_report_rejects_a_malformed_month(copy_home):
    result = CliRunner().invoke(
        cli, ["report", "--month", "2026-13"], env={"CUSTOMS_HOME": str(copy_home)}
    )
    assert result.exit_code != 0


def test_monthly_dag_builds_the_interval_month_without_the_writer_pool():
    from airflow.timetables.interval import CronDataIntervalTimetable

    from customs.airflow_local import load_dags
    from customs.assets import DUCKDB_WRITER_POOL

    dag = load_dags()["customs_monthly"]
    assert DUCKDB_WRITER_POOL not in {t.pool for t in dag.tasks}
    assert {"jurisdictions", "package", "verify"} == {t.task_id for t in dag.tasks}
    timetable = CronDataIntervalTimetable(dag.timetable.expression, timezone="UTC")
    interval = timetable.infer_manual_data_interval(
        run_after=pendulum.datetime(2026, 10, 1, tz="UTC")
    )
    assert (interval.start.date().isoformat(), interval.end.date().isoformat()) == (
        "2026-09-01",
        "2026-10-01",
    )
