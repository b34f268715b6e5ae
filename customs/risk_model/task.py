"""The customs_marts task body: score the declarations with the risk model and write the
results into the warehouse (after ``dbt build``, before the mart checks).

Writes ``marts.fct_risk_model_scores`` and appends one row per model to ``audit.risk_model_runs`` (replacing rows of the same run id,
so a rerun on the same data is idempotent).

Incremental: given ``since`` (the first data interval the dbt build recomputed), only the
7-day blocks from the one holding the earliest declaration of those intervals are retrained and
rescored, and their rows replaced; earlier blocks keep their rows, which a run over everything
would compute identically (their models use only outcomes before their first day). Without
``since``, or when it reaches back to the first block, everything is rescored.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from customs.duckdb_connect import connect_bounded
from customs.risk_model.features import FEATURES, read_declarations, read_outcomes
from customs.risk_model.score import TOP_FEATURES, block_start, score_all
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


DUCKDB_MEMORY_LIMIT = "1GB"
"""DuckDB's limit while the task reads features and writes scores (its default is 80 % of the
RAM). At 10M items the task still grew past 4 GB with it (docs/benchmarks.md, Next steps)."""


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
    warehouse_path: Path,
    retrain_days: int = RETRAIN_DAYS,
    config: TrainingConfig | None = None,
    since: date | None = None,
) -> dict:
    """Train, score and write, one block of ``retrain_days`` at a time (memory stays that of
    one block); returns counts and timings for the task log."""
    started = time.perf_counter()
    config = config or TrainingConfig()
    con = connect_bounded(warehouse_path, memory_limit=DUCKDB_MEMORY_LIMIT)
    try:
        first, last = con.execute(
            "select min(declared_date), max(declared_date) from marts.fct_risk_scores"
        ).fetchall()[0]
        rescore_from = _rescore_from(con, since, first, retrain_days)
        outcomes = read_outcomes(con)
        training = read_declarations(con, inspected=True)
        trained_at = datetime.now(UTC)
        counts = {"declarations": 0, "scored": 0, "models": 0, "skipped": 0}
        con.execute("begin transaction")
        if rescore_from is None:
            con.execute(f"drop table if exists {SCORES_TABLE}")
        else:
            con.execute(f"delete from {SCORES_TABLE} where declared_date >= ?", [rescore_from])
        con.execute("create schema if not exists audit")
        con.execute(RUNS_DDL)
        start = rescore_from or first
        while first is not None and start <= last:
            end = start + timedelta(days=retrain_days)
            block = read_declarations(con, start, end)
            rows = pl.concat([training, block]).unique(
                "declaration_id", keep="first", maintain_order=True
            )
            result = score_all(
                rows,
                outcomes,
                retrain_days,
                config,
                anchor=first,
                score_from=start,
                score_until=end,
            )
            scores = scores_frame(result)
            _write(con, scores, runs_frame(result, trained_at, retrain_days))
            counts["declarations"] += scores.height
            counts["scored"] += int(scores["model_score"].is_not_null().sum())
            counts["models"] += sum(not isinstance(r, Skipped) for r in result.runs)
            counts["skipped"] += sum(isinstance(r, Skipped) for r in result.runs)
            start = end
        if not _table_exists(con, SCORES_TABLE):  # nothing to score: an empty table
            empty = scores_frame(score_all(training.clear(), outcomes.clear()))
            con.register("model_scores_frame", empty.to_arrow())
            con.execute(f"create table {SCORES_TABLE} as select * from model_scores_frame")
            con.unregister("model_scores_frame")
        con.execute("commit")
    finally:
        con.close()
    return {
        **counts,
        "rescored_from": rescore_from.isoformat() if rescore_from else None,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _write(con, scores: pl.DataFrame, runs: pl.DataFrame) -> None:
    """Append one block's scores, and its model's row (replacing a row of the same run id)."""
    con.register("model_scores_frame", scores.to_arrow())
    con.register("model_runs_frame", runs.to_arrow())
    if _table_exists(con, SCORES_TABLE):
        con.execute(f"insert into {SCORES_TABLE} by name select * from model_scores_frame")
    else:
        con.execute(f"create table {SCORES_TABLE} as select * from model_scores_frame")
    con.execute(f"delete from {RUNS_TABLE} where run_id in (select run_id from model_runs_frame)")
    con.execute(f"insert into {RUNS_TABLE} by name select * from model_runs_frame")
    con.unregister("model_scores_frame")
    con.unregister("model_runs_frame")


def _rescore_from(con, since: date | None, first: date | None, retrain_days: int) -> date | None:
    """First day of the first block to rescore (blocks counted from ``first``, the first
    declared day); None = everything (no ``since``, no earlier scores, or ``since`` reaches
    back to the first block)."""
    if since is None or first is None or not _table_exists(con, SCORES_TABLE):
        return None
    earliest = con.execute(
        "select min(declared_date) from marts.fct_customs_valuation where data_interval >= ?",
        [since],
    ).fetchall()[0][0]
    day = min(since, earliest) if earliest else since
    if day <= first:
        return None
    return block_start(first, day, retrain_days)


def _table_exists(con, table: str) -> bool:
    schema, name = table.split(".", 1)
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()[0]
    return bool(found and found[0])
