"""The customs_marts task body: score the declarations with the risk model and write the
results into the warehouse (after ``dbt build``, before the mart checks).

Writes ``marts.fct_risk_model_scores`` and appends one row per model to
``audit.risk_model_runs`` (replacing rows of the same run id, so a rerun on the same data is
idempotent).

Incremental: given ``since`` (the first data interval the dbt build recomputed), only the
declarations from the earliest declared day of those intervals are rescored, and their rows
replaced; earlier days keep their rows, which a run over everything would compute identically
(their features rest on their own and earlier days, their models on outcomes before their
block's first day). The block holding that day gets its model again (the same run id, as its
training rows are the same) and its earlier days are rescored too only if the model changed (an
inspection outcome that arrived late). Without ``since``, or when it reaches back to the first
day, everything is rescored.
"""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from customs.duckdb_connect import connect_bounded
from customs.risk_model.features import (
    FEATURES,
    iter_declarations,
    read_declarations,
    read_outcomes,
)
from customs.risk_model.score import TOP_FEATURES, block_start, score_batch
from customs.risk_model.store import ModelStore
from customs.risk_model.train import (
    MODEL_VERSION,
    PARAMS,
    Skipped,
    TrainedModel,
    TrainingConfig,
    single_thread,
    train,
)

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


TOP_FEATURE_COLUMNS: dict[str, pl.DataType] = {
    f"top_feature_{i}{suffix}": dtype
    for i in range(1, TOP_FEATURES + 1)
    for suffix, dtype in (("", pl.String()), ("_contribution", pl.Float64()))
}
SCORES_COLUMNS: dict[str, pl.DataType] = {
    "declaration_id": pl.String(),
    "jurisdiction": pl.String(),
    "declared_date": pl.Date(),
    "model_score": pl.Float64(),
    "model_rank_in_jurisdiction_day": pl.Int64(),
    "model_version": pl.String(),
    "model_run_id": pl.String(),
    **TOP_FEATURE_COLUMNS,
    "not_scored_reason": pl.String(),
}
BLOCK_TABLE = "risk_model_block_scores"
"""A temporary table that collects one block's batches before they are ranked and written."""
BLOCK_COLUMNS: dict[str, pl.DataType] = {
    **{
        name: dtype
        for name, dtype in SCORES_COLUMNS.items()
        if name not in ("model_rank_in_jurisdiction_day", "model_version", "not_scored_reason")
    },
    "reason": pl.String(),  # -> not_scored_reason; rank and version come with the ranking
}
DUCKDB_TYPES = {pl.String: "varchar", pl.Date: "date", pl.Float64: "double", pl.Int64: "bigint"}


def table_ddl(table: str, columns: dict[str, pl.DataType], temp: bool = False) -> str:
    """``create table`` for columns typed as their Polars frames are."""
    typed = ", ".join(f"{name} {DUCKDB_TYPES[type(dtype)]}" for name, dtype in columns.items())
    return f"create {'or replace temp ' if temp else ''}table {table} ({typed})"


RANK_BLOCK_SQL = f"""
insert into {SCORES_TABLE} by name
select
    * exclude (reason),
    case when model_score is not null then row_number() over (
        partition by jurisdiction, declared_date
        order by model_score desc nulls last, declaration_id
    ) end as model_rank_in_jurisdiction_day,
    case when model_score is not null then $version end as model_version,
    reason as not_scored_reason
from {BLOCK_TABLE}
order by declaration_id
"""
BATCH_ROWS = 100_000
"""Declarations read, scored and written at a time: memory holds one batch (about 20 MB of
features and 17 MB of matrix), not a block, whose size grows with the daily volume."""


def run_row(
    run: TrainedModel | Skipped, trained_at: datetime, retrain_days: int, scored: int
) -> dict:
    """The ``audit.risk_model_runs`` row of one block's model (or of its skip)."""
    skipped = isinstance(run, Skipped)
    metrics = {} if skipped else run.metrics
    return {
        "run_id": f"skipped-{run.cutoff:%Y%m%d}" if skipped else run.run_id,
        "model_version": MODEL_VERSION,
        "status": "skipped" if skipped else "trained",
        "reason": run.reason if skipped else None,
        "trained_at": trained_at if skipped else (run.fitted_at or trained_at),
        "first_scored_date": run.cutoff,
        "training_window_start": run.window_start,
        "training_window_end": None if skipped else run.window_end,
        "training_rows": run.rows,
        "training_findings": run.findings,
        "holdout_rows": int(metrics.get("holdout_rows") or 0) if metrics else None,
        "holdout_roc_auc": metrics.get("roc_auc"),
        "holdout_average_precision": metrics.get("average_precision"),
        "declarations_scored": scored,
        "retrain_days": retrain_days,
        "features": json.dumps(list(FEATURES)),
        "params": json.dumps(PARAMS, sort_keys=True),
    }


def score_risk_model(
    warehouse_path: Path,
    retrain_days: int = RETRAIN_DAYS,
    config: TrainingConfig | None = None,
    since: date | None = None,
    batch_rows: int = BATCH_ROWS,
) -> dict:
    """Train one model per block of ``retrain_days``, score the block's declarations
    ``batch_rows`` at a time and write them; returns counts and timings for the task log.

    Python holds the training rows (the inspected declarations) and one batch; the block's
    scores collect in DuckDB (bounded, spilling to disk), which ranks them per jurisdiction and
    day. Everything is written in one transaction: a failed run leaves the previous scores."""
    started = time.perf_counter()
    config = config or TrainingConfig()
    store = ModelStore.beside(warehouse_path)
    con = connect_bounded(warehouse_path)  # DuckDB spills to disk beyond its limit
    try:
        first, last = con.execute(
            "select min(declared_date), max(declared_date) from marts.fct_risk_scores"
        ).fetchall()[0]
        rescore_from = _rescore_from(con, since, first)
        outcomes = read_outcomes(con)
        training = read_declarations(con, inspected=True)
        trained_at = datetime.now(UTC)
        counts = {"declarations": 0, "scored": 0, "models": 0, "skipped": 0}
        con.execute("begin transaction")
        if rescore_from is None:
            con.execute(f"drop table if exists {SCORES_TABLE}")
            con.execute(table_ddl(SCORES_TABLE, SCORES_COLUMNS))
        else:
            con.execute(f"delete from {SCORES_TABLE} where declared_date >= ?", [rescore_from])
        con.execute("create schema if not exists audit")
        con.execute(RUNS_DDL)
        day = rescore_from or first
        start = block_start(first, day, retrain_days) if first else None
        while first is not None and start <= last:
            end = start + timedelta(days=retrain_days)
            model = train(training, outcomes, start, config, store)
            rows = _score_block(con, model, _resume_day(con, model, start, day), end, batch_rows)
            trained = isinstance(model, TrainedModel)
            scored = _count_scored(con, model.run_id) if trained else 0
            _write_run(con, run_row(model, trained_at, retrain_days, scored))
            counts["declarations"] += rows
            counts["scored"] += rows if trained else 0
            counts["models" if trained else "skipped"] += 1
            start = end
        con.execute("commit")
    finally:
        con.close()
    return {
        **counts,
        "models_reused": store.loaded,
        "rescored_from": rescore_from.isoformat() if rescore_from else None,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _score_block(
    con, model: TrainedModel | Skipped, start: date, end: date, batch_rows: int
) -> int:
    """Score the declarations of [start, end) batch by batch into the block table (read through
    a cursor, as ``con`` writes meanwhile), then rank them and append them to the scores
    table; returns the number of declarations."""
    con.execute(table_ddl(BLOCK_TABLE, BLOCK_COLUMNS, temp=True))
    rows = 0
    reader = con.cursor()
    # scikit-learn (2-3 s to import) only when a model is predicted by its estimator: a model
    # loaded with its compiled trees (trees.py) needs neither it nor its thread limit
    sklearn = isinstance(model, TrainedModel) and model.needs_sklearn
    threads = single_thread() if sklearn else nullcontext()
    try:
        with threads:
            for batch in iter_declarations(reader, start, end, batch_rows):
                scores = batch.select("declaration_id", "jurisdiction", "declared_date").join(
                    score_batch(model, batch), on="declaration_id", how="left"
                )
                scores = scores.with_columns(
                    pl.lit(None, dtype).alias(name)
                    for name, dtype in BLOCK_COLUMNS.items()
                    if name not in scores.columns
                ).select(list(BLOCK_COLUMNS))
                # Not con.register(): a view registered (and unregistered) inside the open
                # transaction keeps its Arrow table alive until the commit; at 10M items the
                # scores of every block stayed in memory that way (4.4 GB).
                con.from_arrow(scores.to_arrow()).insert_into(BLOCK_TABLE)
                rows += scores.height
    finally:
        reader.close()
    con.execute(RANK_BLOCK_SQL, {"version": MODEL_VERSION})
    con.execute(f"drop table {BLOCK_TABLE}")
    return rows


def _resume_day(con, model: TrainedModel | Skipped, start: date, day: date) -> date:
    """The day from which the block starting on ``start`` is rescored: ``day`` when its rows of
    earlier days were scored by this same model (same run id, or unscored both times), else
    the block's start (an outcome that arrived late changed the model), after deleting them."""
    if day <= start:
        return start
    run_id = model.run_id if isinstance(model, TrainedModel) else None
    scored_otherwise = con.execute(
        f"select count(*) from {SCORES_TABLE} where declared_date >= ? and declared_date < ? "
        "and model_run_id is distinct from ?",
        [start, day, run_id],
    ).fetchall()[0][0]
    if not scored_otherwise:
        return day
    con.execute(
        f"delete from {SCORES_TABLE} where declared_date >= ? and declared_date < ?", [start, day]
    )
    return start


def _count_scored(con, run_id: str) -> int:
    return con.execute(
        f"select count(*) from {SCORES_TABLE} where model_run_id = ?", [run_id]
    ).fetchall()[0][0]


def _write_run(con, row: dict) -> None:
    """Write a block's model row, replacing a row of the same run id (a rerun)."""
    con.execute(f"delete from {RUNS_TABLE} where run_id = ?", [row["run_id"]])
    columns = ", ".join(row)
    con.execute(
        f"insert into {RUNS_TABLE} ({columns}) values ({', '.join('?' for _ in row)})",
        list(row.values()),
    )


def _rescore_from(con, since: date | None, first: date | None) -> date | None:
    """First declared day to rescore: the earliest declared day of the data intervals from
    ``since`` (features rest on a declaration's own day and earlier days only, so earlier days
    keep their features); None = everything (no ``since``, no earlier scores, or ``since``
    reaches back to the first day)."""
    if since is None or first is None or not _table_exists(con, SCORES_TABLE):
        return None
    earliest = con.execute(
        "select min(declared_date) from marts.fct_customs_valuation where data_interval >= ?",
        [since],
    ).fetchall()[0][0]
    day = min(since, earliest) if earliest else since
    return None if day <= first else day


def _table_exists(con, table: str) -> bool:
    schema, name = table.split(".", 1)
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()[0]
    return bool(found and found[0])
