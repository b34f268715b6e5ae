"""`customs evaluate` on a small generated sample: standardised, built with dbt, scored by the
risk model, published; the printed table has a row per ranking with figures in [0, 1]."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from customs.cli import main
from customs.generator import generate
from customs.pipeline import land_feed, standardize_feed
from customs.risk_model.task import score_risk_model
from customs.risk_model.train import TrainingConfig
from customs.settings import load_settings
from customs.snapshot import publish_snapshot
from customs.warehouse import build_marts

START, DAYS = date(2026, 9, 1), 12
RANKINGS = [
    "composite",
    "expected_revenue",
    "value_gap",
    "reference_price",
    "misclassification",
    "split_consignment",
    "warehouse_lot",
    "entity_history",
    "model",
    "random",
]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    home = tmp_path_factory.mktemp("customs_home_evaluate")
    settings = load_settings({"CUSTOMS_HOME": str(home)})
    sample = generate(home / "sample", START, DAYS, seed=42, scale=0.4)
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        for feed in sample.rows:
            land_feed(settings, feed, day, sample.landing_dir)
            standardize_feed(settings, feed, day)
    build_marts(settings, full_refresh=True)
    model = score_risk_model(
        settings.warehouse_path,
        retrain_days=3,
        config=TrainingConfig(window_days=90, min_rows=30, min_findings=5),
    )
    publish_snapshot(settings)
    runner = CliRunner(env={"CUSTOMS_HOME": str(home)})
    result = runner.invoke(main, ["evaluate", "--labels", str(sample.labels_path)])
    return settings, model, result


def _table(output: str) -> dict[str, list[float]]:
    rows = {}
    for line in output.splitlines():
        words = line.split()
        if words and words[0] in RANKINGS:
            rows[words[0]] = [float(w.rstrip("%")) / 100 for w in words[1:]]
    return rows


def test_the_model_scored_the_later_days(evaluated) -> None:
    _, model, _ = evaluated
    assert model["models"] >= 1 and model["skipped"] >= 1  # the first days have no outcomes
    assert 0 < model["scored"] < model["declarations"]


def test_evaluate_prints_one_row_per_ranking_with_figures_in_0_1(evaluated) -> None:
    settings, _, result = evaluated
    assert result.exit_code == 0, result.output
    print(result.output)
    lines = result.output.splitlines()
    assert lines[0].startswith("hold-out 2026-09-")
    header = lines[2].split()
    assert header == ["ranking"] + [
        f"{metric}@{n}%" for n in (1, 2, 5, 10) for metric in ("precision", "revenue")
    ]
    table = _table(result.output)
    assert list(table) == RANKINGS
    for name, figures in table.items():
        assert len(figures) == 8, name
        assert all(0.0 <= f <= 1.0 for f in figures), name
    # The rankings differ where they must: the rules and the model beat a random order.
    assert table["composite"] != table["random"]
    assert table["model"] != table["random"]
    assert table["composite"][4] > table["random"][4]  # precision@5%
    metrics = json.loads((settings.home / "evaluation" / "metrics.json").read_text())
    assert metrics["holdout_start"] == re.search(r"hold-out (\S+)", lines[0]).group(1)
    assert set(metrics["metrics"]) == set(RANKINGS)


def test_rescoring_from_a_later_day_keeps_earlier_rows_and_matches_a_full_run(evaluated) -> None:
    import duckdb

    settings, model, _ = evaluated
    config = TrainingConfig(window_days=90, min_rows=30, min_findings=5)
    table = "marts.fct_risk_model_scores"

    def scores() -> dict[str, tuple]:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            rows = con.execute(f"select * from {table} order by declaration_id").fetchall()
        return {row[0]: row for row in rows}

    def spoil(sql: str, *params) -> None:
        with duckdb.connect(str(settings.warehouse_path)) as con:
            con.execute(f"update {table} set {sql}", list(params))

    full = scores()
    since = START + timedelta(days=8)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        day = con.execute(
            "select least(min(declared_date), ?) from marts.fct_customs_valuation "
            "where data_interval >= ?",
            [since, since],
        ).fetchall()[0][0]
    # Blocks of 3 days from 1 Sept: 1, 4, 7, 10 Sept. The rebuilt intervals start within the
    # block of 7 Sept, after its first day, so the block's model is trained again.
    assert date(2026, 9, 7) < day <= since

    # Same model: the days of the block before `day` keep their rows (-2 stays), later days
    # are rescored (-1 is replaced).
    spoil("model_score = -1 where declared_date >= ?", day)
    spoil(
        "model_score = -2 where declared_date >= ? and declared_date < ?", START + timedelta(6), day
    )
    partial = score_risk_model(settings.warehouse_path, retrain_days=3, config=config, since=since)
    assert partial["rescored_from"] == day.isoformat()
    assert 0 < partial["declarations"] < model["declarations"]
    after = scores()
    kept = {k for k, row in full.items() if START + timedelta(6) <= row[2] < day}
    assert kept and all(after[k][3] == -2 for k in kept)
    assert {k: v for k, v in after.items() if k not in kept} == {
        k: v for k, v in full.items() if k not in kept
    }

    # Another model scored the block's earlier days (an outcome arrived late): the whole block
    # is rescored from its first day, and everything matches the full run again.
    spoil("model_run_id = 'an-older-model' where declared_date = ?", START + timedelta(6))
    again = score_risk_model(settings.warehouse_path, retrain_days=3, config=config, since=since)
    assert again["declarations"] > partial["declarations"]
    assert scores() == full


def test_scores_written_batch_by_batch_equal_scoring_every_row_at_once(evaluated) -> None:
    import duckdb
    import polars as pl

    from customs.risk_model.features import read_declarations, read_outcomes
    from customs.risk_model.score import score_all

    settings, model, _ = evaluated
    config = TrainingConfig(window_days=90, min_rows=30, min_findings=5)
    # Rescore everything 50 declarations at a time: many batches per block.
    rerun = score_risk_model(settings.warehouse_path, retrain_days=3, config=config, batch_rows=50)
    assert rerun["declarations"] == model["declarations"] > 50 * 10
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        table = con.sql("select * from marts.fct_risk_model_scores").pl()
        in_memory = score_all(read_declarations(con), read_outcomes(con), 3, config).scores
    assert table["declaration_id"].is_unique().all()
    expected = (
        in_memory.sort("declaration_id")
        .with_columns(
            pl.col("model_score")
            .rank("ordinal", descending=True)
            .over("jurisdiction", "declared_date")
            .cast(pl.Int64)
            .alias("model_rank_in_jurisdiction_day"),
        )
        .rename({"reason": "not_scored_reason"})
    )
    columns = [c for c in expected.columns if c in table.columns]
    assert len(columns) == len(table.columns) - 1  # all but model_version
    assert table.select(columns).sort("declaration_id").equals(expected.select(columns))
    assert table["model_rank_in_jurisdiction_day"].is_not_null().sum() == model["scored"] > 0
    assert set(table["model_version"].drop_nulls()) == {"hgb-1"}


def test_a_rerun_loads_the_fitted_models_and_writes_the_same_scores(evaluated) -> None:
    import duckdb

    from customs.risk_model.store import ModelStore

    settings, model, _ = evaluated
    config = TrainingConfig(window_days=90, min_rows=30, min_findings=5)
    store = ModelStore.beside(settings.warehouse_path)

    def read() -> tuple[list, list]:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            scores = con.execute(
                "select * from marts.fct_risk_model_scores order by declaration_id"
            ).fetchall()
            runs = con.execute(
                "select run_id, trained_at from audit.risk_model_runs "
                "where status = 'trained' order by run_id"
            ).fetchall()
        return scores, runs

    before = read()
    run_ids = sorted(run_id for run_id, _ in before[1])
    kept = sorted(p.name for p in store.folder.glob("*.pkl"))
    assert kept == sorted([f"{r}.pkl" for r in run_ids] + [f"{r}.scoring.pkl" for r in run_ids])
    again = score_risk_model(settings.warehouse_path, retrain_days=3, config=config)
    assert again["models_reused"] == again["models"] == model["models"] > 0
    assert read() == before  # same scores, and each model keeps the time it was fitted
    # A damaged scoring file: the whole model is loaded instead, and the file written again.
    scoring = store.scoring_path(run_ids[0])
    scoring.write_bytes(b"not a model")
    third = score_risk_model(settings.warehouse_path, retrain_days=3, config=config)
    assert third["models_reused"] == model["models"]
    assert read() == before
    assert ModelStore(store.folder).load_for_scoring(run_ids[0]).model is None  # rewritten
    # Both files damaged: the model is fitted again, with the same result.
    scoring.write_bytes(b"not a model")
    store.path(run_ids[0]).write_bytes(b"not a model")
    fourth = score_risk_model(settings.warehouse_path, retrain_days=3, config=config)
    assert fourth["models_reused"] == model["models"] - 1
    assert read()[0] == before[0]
    assert ModelStore(store.folder).load(run_ids[0]) is not None
