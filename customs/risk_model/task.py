"""The customs_marts task body: score the declarations with the risk model and write the
results into the warehouse (after ``dbt build``, before the mart checks).

Writes ``marts.fct_risk_model_scores`` (recomputed as a whole every run, like the dbt marts)
and appends one row per model to ``audit.risk_model_runs`` (replacing rows of the same run id,
so a rerun on the same data is idempotent).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from customs.risk_model.features import FEATURES, read_declarations, read_outcomes
from customs.risk_model.score import TOP_FEATURES, score_all
from customs.risk_model.train import MODEL_VERSION, PARAMS, Skipped, TrainingConfig

RETRAIN_DAYS = 7
SCORES_TABLE = "marts.fct_risk_model_scores"
RUNS_TABLE = "audit.risk_model_runs"

RUNS_DDL = f"""
create table if not exists {RUNS_TABLE} (
    run_id varchar primary key,
    model_version varchar,
    status varchar,
    reason varchar,
    trained_at timestamp with time zone,
    first_scored_date date,
    training_window_start date,
    training_window_end date,
    training_rows bigint,
    training_findings bigint,
    holdout_rows bigint,
    holdout_roc_auc double,
    holdout_average_precision double,
    declarations_scored bigint,
    retrain_days integer,
    features varchar,
    params varchar
)
"""


def _connect(path: Path):
    import duckdb

    try:
        return duckdb.connect(str(path))
    except duckdb.ConnectionException as exc:  # pragma: no cover - same-process handle
        if "different configuration" not in str(exc):
            raise
        return duckdb.connect(str(path), read_only=False)


def runs_frame(result, trained_at: datetime, retrain_days: int) -> pl.DataFrame:
    scored = (
        result.scores.filter(pl.col("model_run_id").is_not_null()).group_by("model_run_id").len()
        if "model_run_id" in result.scores.columns
        else pl.DataFrame(schema={"model_run_id": pl.String, "len": pl.UInt32})
    )
    counts = dict(zip(scored["model_run_id"], scored["len"], strict=True))
    rows = []
    for run in result.runs:
        skipped = isinstance(run, Skipped)
        run_id = f"skipped-{run.cutoff:%Y%m%d}" if skipped else run.run_id
        metrics = {} if skipped else run.metrics
        rows.append(
            {
                "run_id": run_id,
                "model_version": MODEL_VERSION,
                "status": "skipped" if skipped else "trained",
                "reason": run.reason if skipped else None,
                "trained_at": trained_at,
                "first_scored_date": run.cutoff,
                "training_window_start": run.window_start,
                "training_window_end": None if skipped else run.window_end,
                "training_rows": run.rows,
                "training_findings": run.findings,
                "holdout_rows": int(metrics.get("holdout_rows") or 0) if metrics else None,
                "holdout_roc_auc": metrics.get("roc_auc"),
                "holdout_average_precision": metrics.get("average_precision"),
                "declarations_scored": counts.get(run_id, 0),
                "retrain_days": retrain_days,
                "features": json.dumps(list(FEATURES)),
                "params": json.dumps(PARAMS, sort_keys=True),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "run_id": pl.String,
            "model_version": pl.String,
            "status": pl.String,
            "reason": pl.String,
            "trained_at": pl.Datetime("us", "UTC"),
            "first_scored_date": pl.Date,
            "training_window_start": pl.Date,
            "training_window_end": pl.Date,
            "training_rows": pl.Int64,
            "training_findings": pl.Int64,
            "holdout_rows": pl.Int64,
            "holdout_roc_auc": pl.Float64,
            "holdout_average_precision": pl.Float64,
            "declarations_scored": pl.Int64,
            "retrain_days": pl.Int32,
            "features": pl.String,
            "params": pl.String,
        },
    )


def scores_frame(result) -> pl.DataFrame:
    frame = result.scores
    for column, dtype in [("model_score", pl.Float64), ("model_run_id", pl.String)] + [
        (f"top_feature_{i}{suffix}", dtype)
        for i in range(1, TOP_FEATURES + 1)
        for suffix, dtype in (("", pl.String), ("_contribution", pl.Float64))
    ]:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(column))
    ranked = frame.sort("declaration_id").with_columns(
        pl.when(pl.col("model_score").is_not_null())
        .then(
            pl.col("model_score")
            .rank("ordinal", descending=True)
            .over("jurisdiction", "declared_date")
        )
        .cast(pl.Int64)
        .alias("model_rank_in_jurisdiction_day"),
        pl.when(pl.col("model_score").is_not_null())
        .then(pl.lit(MODEL_VERSION))
        .alias("model_version"),
    )
    tops = [
        f"top_feature_{i}{suffix}"
        for i in range(1, TOP_FEATURES + 1)
        for suffix in ("", "_contribution")
    ]
    return ranked.select(
        "declaration_id",
        "jurisdiction",
        "declared_date",
        "model_score",
        "model_rank_in_jurisdiction_day",
        "model_version",
        "model_run_id",
        *tops,
        pl.col("reason").alias("not_scored_reason"),
    ).sort("declaration_id")


def score_risk_model(
    warehouse_path: Path, retrain_days: int = RETRAIN_DAYS, config: TrainingConfig | None = None
) -> dict:
    """Train, score and write; returns counts and timings for the task log."""
    started = time.perf_counter()
    con = _connect(warehouse_path)
    try:
        declarations = read_declarations(con)
        outcomes = read_outcomes(con)
        result = score_all(declarations, outcomes, retrain_days, config or TrainingConfig())
        scores = scores_frame(result)
        runs = runs_frame(result, datetime.now(UTC), retrain_days)
        con.register("model_scores_frame", scores.to_arrow())
        con.register("model_runs_frame", runs.to_arrow())
        con.execute("begin transaction")
        con.execute(f"create or replace table {SCORES_TABLE} as select * from model_scores_frame")
        con.execute("create schema if not exists audit")
        con.execute(RUNS_DDL)
        con.execute(
            f"delete from {RUNS_TABLE} where run_id in (select run_id from model_runs_frame)"
        )
        con.execute(f"insert into {RUNS_TABLE} by name select * from model_runs_frame")
        con.execute("commit")
        con.unregister("model_scores_frame")
        con.unregister("model_runs_frame")
    finally:
        con.close()
    return {
        "declarations": scores.height,
        "scored": int(scores["model_score"].is_not_null().sum()),
        "models": int((runs["status"] == "trained").sum()),
        "skipped": int((runs["status"] == "skipped").sum()),
        "seconds": round(time.perf_counter() - started, 2),
    }
