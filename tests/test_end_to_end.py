"""End to end: generated days through the real DAGs (Airflow dag.test, Polars, GX, dbt).

Asserts that nothing is lost: every input row is counted, every standardised row is either in a
standardised partition or in rejects, and every declaration item is valued exactly once.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from customs.cli import main as cli
from customs.generator import generate
from customs.runner import run_range
from customs.summary import summarize

pytestmark = pytest.mark.e2e

# Three days: declarations follow their orders by 1-5 days, so day 1 has none yet.
START, END = date(2026, 9, 1), date(2026, 9, 3)


def _data_rows(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig") as handle:
        lines = [line for line in handle if line.strip()]
    return len(lines) - (1 if ".csv" in path.suffixes else 0)


@pytest.fixture(scope="module")
def pipeline_run(session_settings, tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    generated = generate(out, START, (END - START).days + 1, seed=7, scale=0.15)
    result = run_range(session_settings, generated.landing_dir, START, END)
    return session_settings, generated, result


def test_every_input_row_is_read_and_reconciles(pipeline_run):
    settings, generated, _ = pipeline_run
    summary = {f.feed: f for f in summarize(settings, START, END).feeds}
    for feed in generated.rows:
        files = sorted((generated.landing_dir / feed).glob("*/*"))
        expected = sum(_data_rows(p) for p in files)
        assert summary[feed].rows_read == expected, feed
        assert summary[feed].rows_read == (
            summary[feed].rows_standardized + summary[feed].rows_rejected
        )
        standardized = pl.scan_parquet(settings.standardized_dir / feed / "date=*" / "*.parquet")
        assert standardized.select(pl.len()).collect().item() == summary[feed].rows_standardized


def test_every_declaration_item_is_valued_once(pipeline_run):
    settings, _, _ = pipeline_run
    items = (
        pl.scan_parquet(settings.standardized_dir / "declarations" / "date=*" / "*.parquet")
        .select("declaration_id", "item_no")
        .collect()
    )
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        valued = con.sql(
            "select declaration_id, item_no, parcel_id, valuation_method, customs_value, load_id "
            "from marts.fct_customs_valuation"
        ).pl()
    assert valued.height == items.height > 0
    assert valued.select("declaration_id", "item_no").n_unique() == valued.height
    assert set(valued["valuation_method"].unique()) <= {"transaction", "deductive", "declared"}
    # Every generated parcel comes with its order lines, so every parcel item is matched;
    # warehouse entries (no parcel) are valued deductively once their lot has sales in the
    # 90 days after receipt, else at their declared value.
    parcels = valued.filter(pl.col("parcel_id").is_not_null())
    assert parcels.height > 0
    assert (parcels["valuation_method"] == "transaction").all()
    entries = valued.filter(pl.col("parcel_id").is_null())["valuation_method"]
    assert set(entries.unique()) <= {"deductive", "declared"}
    assert valued["load_id"].null_count() == 0


def test_personal_identifiers_are_not_in_the_clear(pipeline_run):
    settings, generated, _ = pipeline_run
    first = next((generated.landing_dir / "declarations").glob("*/*"))
    clear = pl.read_csv(first, infer_schema=False)["importer_id"].head(20).to_list()
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        stored = set(
            con.sql("select distinct importer_id from marts.fct_customs_valuation").pl()[
                "importer_id"
            ]
        )
    assert clear and not (set(clear) & stored)


def test_rerunning_a_day_replaces_it(pipeline_run):
    settings, generated, _ = pipeline_run
    before = {f.feed: f.rows_standardized for f in summarize(settings, START, END).feeds}
    run_range(settings, generated.landing_dir, START, START)
    after = {f.feed: f.rows_standardized for f in summarize(settings, START, END).feeds}
    assert after == before
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        rows = con.execute("select count(*) from marts.fct_customs_valuation").fetchone()[0]
    assert rows == before["declarations"]


def test_query_command_reads_the_snapshot(pipeline_run):
    result = CliRunner().invoke(
        cli,
        ["query", "select count(*) as n from marts.fct_customs_valuation", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["n"] > 0
