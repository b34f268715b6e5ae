"""The marts built on Apache Spark (dbt-spark, local session) equal the DuckDB build row for row.

Three days of generated feeds (across a month end, so monthly reports have two months) go
through the pipeline's own landing and standardisation; dbt then builds the portable models
(selector `portable`: everything but the risk models) once on DuckDB and once on Spark, and every
column of every compared table must match (tests/spark/parity.py: decimals exactly, doubles
within FLOAT_TOLERANCE, timestamps as UTC instants).
"""

from __future__ import annotations

import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from parity import differences, duckdb_table, spark_table

from customs.generator import generate
from customs.pipeline import land_feed, standardize_feed
from customs.settings import Settings, load_settings
from customs.warehouse import (
    DBT_PROJECT_DIR,
    build_marts,
    copy_schema_files_for_spark,
    dbt_command,
    dbt_environment,
)
from transforms.schemas import FEED_NAMES

pytestmark = pytest.mark.spark

START, DAYS, SCALE, SEED = date(2026, 9, 29), 3, 0.2, 11
# Every table the portable models write, by schema; the marts are the point, the rest is cheap.
COMPARED = {
    "marts": [
        "fct_customs_valuation",
        "fct_warehouse_lot_valuation",
        "rpt_ioss_monthly_return",
        "rpt_valuation_monthly",
    ],
    "audit": ["file_loads", "rejects", "dq_results"],
    "reference": ["jurisdictions", "import_regimes", "duty_rates", "hs_chapters"],
}
# Intermediate models (tables on both engines; on DuckDB in the file beside the build file) are
# compared too where both engines give them the same types (window ranks are int on Spark,
# bigint on DuckDB).
INTERMEDIATE = [
    "int_fx_rates_carried_forward",
    "int_declaration_items_matched_to_order_lines",
    "int_declaration_items_valued",
]
SPARK_BUILD_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("spark-parity")
    settings = load_settings(
        {"CUSTOMS_HOME": str(home), "CUSTOMS_PSEUDONYM_KEY": "spark-parity-key"}
    )
    sample = home / "sample"
    generate(sample, START, DAYS, seed=SEED, scale=SCALE, source_formats=False)
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        for feed in FEED_NAMES:
            land_feed(settings, feed, day, sample / "landing")
            standardize_feed(settings, feed, day)
    return settings


@pytest.fixture(scope="module")
def duckdb_build(settings: Settings) -> Path:
    build_marts(settings, select="selector:portable", full_refresh=True)
    return settings.warehouse_path


@pytest.fixture(scope="module")
def spark_build(settings: Settings, duckdb_build: Path) -> tuple[Path, float]:
    """Seeds and models on Spark, one dbt process (one JVM): the data tests ran on DuckDB."""
    copy_schema_files_for_spark(settings)
    target = settings.dbt_target_dir.with_name("target-spark")
    env = dbt_environment(settings) | {
        "CUSTOMS_DBT_TARGET": "spark",
        "DBT_TARGET_PATH": str(target),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    command = [
        *dbt_command(),
        "build",
        "--selector",
        "portable",
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    started = time.monotonic()
    completed = subprocess.run(
        command,
        cwd=settings.home,
        env=env,
        capture_output=True,
        text=True,
        timeout=SPARK_BUILD_TIMEOUT_S,
        check=False,
    )
    seconds = time.monotonic() - started
    summary = [line for line in completed.stdout.splitlines() if "ERROR" in line or "Done." in line]
    assert completed.returncode == 0, "\n".join(summary) or completed.stdout[-3000:]
    return settings.home / "spark" / "warehouse", seconds


def test_spark_builds_every_portable_model(spark_build: tuple[Path, float]) -> None:
    warehouse, seconds = spark_build
    built = {path.name for path in (warehouse / "marts.db").iterdir()}
    assert built >= set(COMPARED["marts"])
    print(f"Spark build: {seconds:.0f} s")


@pytest.mark.parametrize(
    ("schema", "table"),
    [(schema, table) for schema, tables in COMPARED.items() for table in tables]
    + [("intermediate", table) for table in INTERMEDIATE],
)
def test_same_rows_on_spark_and_duckdb(
    settings: Settings,
    duckdb_build: Path,
    spark_build: tuple[Path, float],
    schema: str,
    table: str,
) -> None:
    # The DuckDB build keeps its intermediate models in a file of their own.
    source = settings.intermediate_warehouse_path if schema == "intermediate" else duckdb_build
    duck = duckdb_table(source, schema, table)
    spark = spark_table(spark_build[0], schema, table)
    assert differences(duck, spark) == []


def test_the_comparison_covers_real_data(duckdb_build: Path) -> None:
    """The parity above means something: the marts hold rows of every kind it should compare."""
    fct = duckdb_table(duckdb_build, "marts", "fct_customs_valuation")
    assert fct.height > 100
    assert set(fct["valuation_method"]) >= {"transaction", "declared"}
    assert fct["import_tax_collection"].is_in(["ioss"]).any()
    ioss = duckdb_table(duckdb_build, "marts", "rpt_ioss_monthly_return")
    assert ioss["member_state_of_consumption"].n_unique() > 1
    monthly = duckdb_table(duckdb_build, "marts", "rpt_valuation_monthly")
    assert set(monthly["declared_month"]) == {"2026-09", "2026-10"}
    lots = duckdb_table(duckdb_build, "marts", "fct_warehouse_lot_valuation")
    assert lots.height > 0


def test_differences_finds_what_differs() -> None:
    """The comparison itself: a cent, a float beyond tolerance and a missing row all show."""
    base = pl.DataFrame(
        {"key": ["a", "b"], "amount": ["1.00", "2.00"], "score": [0.5, 0.25]}
    ).with_columns(pl.col("amount").str.to_decimal(scale=2))
    assert differences(base, base) == []
    cent = base.with_columns(pl.Series("amount", ["1.00", "2.01"]).str.to_decimal(scale=2))
    assert any(problem.startswith("amount:") for problem in differences(base, cent))
    drift = base.with_columns(pl.col("score") + 1e-6)
    assert any(problem.startswith("score:") for problem in differences(base, drift))
    assert any("row count" in problem for problem in differences(base, base.head(1)))
