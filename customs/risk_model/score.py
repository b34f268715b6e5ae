"""Score every declaration with a model trained strictly before its day, and explain each score.

Days are scored in blocks of ``retrain_days``: the block starting on day D uses the model
trained on outcomes known before D (``train.train(..., cutoff=D)``), so no score uses an
inspection made on or after its declaration's day. A block without enough outcomes gets no
score and the reason.

Top features: for each scored declaration and feature, the drop of the score when that one
feature is reset to its baseline (training median; categories to missing), i.e. a one-feature
occlusion; the three largest positive drops are stored with their size. Cost: at most one
prediction per feature and row (vectorised), none where the value already is the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from customs.risk_model.features import FEATURES, matrix
from customs.risk_model.train import Skipped, TrainedModel, TrainingConfig, single_thread, train

TOP_FEATURES = 3


@dataclass
class ScoringResult:
    scores: pl.DataFrame  # one row per declaration
    runs: list[TrainedModel | Skipped]


CHUNK_ROWS = 20_000
"""Rows explained at a time: the occluded copies take at most rows x features x features
doubles (20,000 x 22 x 22 x 8 bytes = 77 MB), so memory does not grow with the block."""


def contributions(model: TrainedModel, x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(rows x features) score drop when each feature alone is reset to the baseline."""
    return np.concatenate(
        [
            _contributions(model, x[i : i + CHUNK_ROWS], p[i : i + CHUNK_ROWS])
            for i in range(0, x.shape[0], CHUNK_ROWS)
        ]
        or [np.empty((0, x.shape[1]))]
    )


def _contributions(model: TrainedModel, x: np.ndarray, p: np.ndarray) -> np.ndarray:
    # Only (row, feature) pairs whose value differs from the baseline are predicted again: for
    # the others the occluded row is the row itself, whose score is p (a drop of exactly 0).
    # Most flags and counts sit at their median: this skips about a third of the predictions.
    baseline = model.baseline
    differs = (x != baseline) & ~(np.isnan(x) & np.isnan(baseline))  # n x k
    rows, features = np.nonzero(differs)
    drop = np.zeros(x.shape)
    if rows.size:
        occluded = x[rows]
        occluded[np.arange(rows.size), features] = baseline[features]
        drop[rows, features] = p[rows] - model.predict(occluded)
    return drop


def _explain(model: TrainedModel, block: pl.DataFrame) -> pl.DataFrame:
    x = matrix(block, model.categories)
    p = model.predict(x)
    drop = contributions(model, x, p)
    order = np.argsort(-drop, axis=1, kind="stable")[:, :TOP_FEATURES]
    names = pl.Series(FEATURES, dtype=pl.String)
    columns: list[pl.Series] = [
        block["declaration_id"],
        pl.Series("model_score", p, dtype=pl.Float64),
        pl.Series("model_run_id", [model.run_id] * block.height, dtype=pl.String),
    ]
    for i in range(TOP_FEATURES):
        value = np.take_along_axis(drop, order[:, i : i + 1], axis=1)[:, 0]
        positive = pl.Series(value > 0)
        name = names.gather(order[:, i])
        columns.append(
            pl.select(pl.when(positive).then(name)).to_series().alias(f"top_feature_{i + 1}")
        )
        columns.append(
            pl.select(pl.when(positive).then(pl.Series(value, dtype=pl.Float64)))
            .to_series()
            .alias(f"top_feature_{i + 1}_contribution")
        )
    return pl.DataFrame(columns)


def score_batch(model: TrainedModel | Skipped, batch: pl.DataFrame) -> pl.DataFrame:
    """Scores of declarations of one block under the block's model: ``declaration_id``, then
    ``model_score``, ``model_run_id`` and the top features, or only ``reason`` (null when
    scored) if the block has no model. Rows are scored independently of each other, so a block
    may be scored in batches of any size with the same result. Call within ``single_thread()``."""
    if isinstance(model, TrainedModel):
        return _explain(model, batch).with_columns(pl.lit(None, pl.String).alias("reason"))
    return batch.select("declaration_id").with_columns(pl.lit(model.reason).alias("reason"))


def score_all(
    declarations: pl.DataFrame,
    outcomes: pl.DataFrame,
    retrain_days: int = 7,
    config: TrainingConfig | None = None,
    anchor: date | None = None,
    score_from: date | None = None,
    score_until: date | None = None,
) -> ScoringResult:
    """Model scores of the declarations of ``declarations`` (null where no model exists).

    Blocks of ``retrain_days`` start on ``anchor`` (default: the earliest declared day). With
    ``score_from`` / ``score_until``, only the declarations of the blocks from the one holding
    ``score_from`` up to ``score_until`` (excluded) are scored: ``declarations`` must then
    still hold every inspected declaration (the training rows), and the scores of those blocks
    are the same as in a run over everything.
    """
    with single_thread():
        return _score_all(
            declarations,
            outcomes,
            retrain_days,
            config or TrainingConfig(),
            anchor,
            score_from,
            score_until,
        )


def block_start(anchor: date, day: date, retrain_days: int) -> date:
    """First day of the block of ``retrain_days`` (counted from ``anchor``) that holds ``day``."""
    return anchor + timedelta(days=((day - anchor).days // retrain_days) * retrain_days)


def _score_all(
    declarations: pl.DataFrame,
    outcomes: pl.DataFrame,
    retrain_days: int,
    config: TrainingConfig,
    anchor: date | None,
    score_from: date | None,
    score_until: date | None,
) -> ScoringResult:
    if declarations.height == 0:
        return ScoringResult(scores=_empty(), runs=[])
    first: date = anchor or declarations["declared_date"].min()
    stop: date = score_until or declarations["declared_date"].max() + timedelta(days=1)
    runs: list[TrainedModel | Skipped] = []
    parts: list[pl.DataFrame] = []
    start = block_start(first, max(score_from, first), retrain_days) if score_from else first
    scored = declarations.filter(
        (pl.col("declared_date") >= start) & (pl.col("declared_date") < stop)
    )
    while start < stop:
        end = start + timedelta(days=retrain_days)
        block = scored.filter((pl.col("declared_date") >= start) & (pl.col("declared_date") < end))
        model = train(declarations, outcomes, start, config)
        runs.append(model)
        if block.height:
            parts.append(score_batch(model, block))
        start = end
    scores = pl.concat(parts, how="diagonal_relaxed") if parts else _empty()
    keys = scored.select("declaration_id", "declared_date", "jurisdiction")
    return ScoringResult(scores=keys.join(scores, on="declaration_id", how="left"), runs=runs)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "declaration_id": pl.String,
            "declared_date": pl.Date,
            "jurisdiction": pl.String,
            "reason": pl.String,
        }
    )
