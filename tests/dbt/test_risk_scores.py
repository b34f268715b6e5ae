"""fct_risk_scores built by dbt on the tiny fixtures of test_dbt_build plus one planted fraud:
a parcel declared at a tenth of the price paid must rank first in its jurisdiction and day
(border queue), and a warehouse entry of the same day is ranked in its own queue."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import polars as pl
import pytest
from test_dbt_build import (
    DECLARATION_DEFAULTS,
    DECLARATIONS,
    ORDER_DEFAULTS,
    ORDERS,
    _rows,
    _standardized,
    _write_partition,
    write_feeds,
)

from customs.settings import Settings, load_settings
from customs.warehouse import build_marts

DAY = date(2026, 10, 24)
PLANTED_ORDERS = _rows(
    "marketplace order_id line_id parcel_id sku hs_code quantity unit_price currency discount",
    ("shopa", "O9", "1", "P9", "S9", "640411", 1, "100.00", "EUR", None),
)
PLANTED_DECLARATIONS = _rows(
    "declaration_id item_no declared_at jurisdiction parcel_id procedure hs_code quantity "
    "declared_value currency",
    (
        "D9",
        1,
        datetime(2026, 10, 24, 20, 0, tzinfo=UTC),
        "DE",
        "P9",
        "H7",
        "640411",
        1,
        "10.00",
        "EUR",
    ),
    # A warehouse entry of the same jurisdiction and day: no lot sold yet.
    (
        "D8",
        1,
        datetime(2026, 10, 24, 9, 0, tzinfo=UTC),
        "DE",
        None,
        "WH",
        "940360",
        10,
        "500.00",
        "EUR",
    ),
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("customs_home_risk")
    settings = load_settings({"CUSTOMS_HOME": str(home)})
    write_feeds(settings, DAY)
    for feed, rows, defaults in (
        ("orders", ORDERS + PLANTED_ORDERS, ORDER_DEFAULTS),
        ("declarations", DECLARATIONS + PLANTED_DECLARATIONS, DECLARATION_DEFAULTS),
    ):
        _write_partition(
            _standardized(feed, rows, defaults, DAY), settings.standardized_dir / feed, DAY
        )
    return settings


@pytest.fixture(scope="module")
def built(settings: Settings):
    return build_marts(settings)


@pytest.fixture(scope="module")
def scores(settings: Settings, built) -> pl.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql("select * from marts.fct_risk_scores").pl()


def test_a_default_build_runs_data_tests_but_not_unit_tests(built) -> None:
    assert built.failures == []
    assert built.tests > 20
    assert built.unit_tests == 0  # unit tests run in CI (test_dbt_build.py), not daily


def test_one_row_per_declaration(scores: pl.DataFrame) -> None:
    declarations = {d["declaration_id"] for d in DECLARATIONS + PLANTED_DECLARATIONS}
    assert scores.height == len(declarations)
    assert set(scores["declaration_id"]) == declarations


def test_planted_undervaluation_ranks_first_with_its_reason(scores: pl.DataFrame) -> None:
    (planted,) = scores.filter(pl.col("declaration_id") == "D9").to_dicts()
    assert planted["rank_in_jurisdiction_day"] == 1
    assert planted["is_value_gap_flagged"]
    assert "Declared at 10% of the price paid on the marketplace." in planted["reasons"]
    assert planted["composite_score"] == scores["composite_score"].max()
    assert planted["revenue_at_stake_eur"] > 0


def test_warehouse_entries_are_ranked_in_their_own_queue(scores: pl.DataFrame) -> None:
    """A parcel's rank is its place among the day's parcels (the border queue); a warehouse
    entry, revalued for months, is ranked among warehouse entries only (post_clearance)."""
    queues = dict(zip(scores["declaration_id"], scores["inspection_queue"], strict=True))
    assert queues["D8"] == queues["D3"] == "post_clearance"
    assert {queues[d] for d in ("D1", "D2", "D4", "D9")} == {"border"}
    (warehouse_entry,) = scores.filter(pl.col("declaration_id") == "D8").to_dicts()
    assert warehouse_entry["rank_in_jurisdiction_day"] == 1  # D9 is first in the border queue
    ranks = scores.group_by("jurisdiction", "declared_date", "inspection_queue").agg(
        pl.col("rank_in_jurisdiction_day").sort().alias("ranks"), pl.len().alias("n")
    )
    for row in ranks.to_dicts():
        assert row["ranks"] == list(range(1, row["n"] + 1)), row


def test_customs_evaluate_prints_the_table_and_writes_metrics(
    scores: pl.DataFrame, settings: Settings, tmp_path, monkeypatch
) -> None:
    import json

    from click.testing import CliRunner

    from customs.cli import main
    from customs.snapshot import publish_snapshot

    publish_snapshot(settings)
    labels = tmp_path / "labels.parquet"
    pl.DataFrame(
        {"declaration_id": ["D9"], "item_no": [1], "revenue_at_stake_eur": [19.8]}
    ).write_parquet(labels)
    monkeypatch.setenv("CUSTOMS_HOME", str(settings.home))
    result = CliRunner().invoke(main, ["evaluate", "--labels", str(labels)])
    assert result.exit_code == 0, result.output
    assert "composite" in result.output and "random" in result.output
    metrics = json.loads((settings.home / "evaluation" / "metrics.json").read_text())
    # 5 declarations: 1% inspects one, the planted D9, which holds all the revenue.
    assert metrics["metrics"]["composite"]["precision@1%"] == 1.0
    assert metrics["metrics"]["composite"]["revenue@1%"] == 1.0
