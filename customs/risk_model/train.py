"""Fit one gradient-boosting model on the inspection outcomes known before a cut-off day.

Training rows: declarations whose (first) inspection took place strictly before ``cutoff`` and
within ``window_days`` before it; label = the inspection found an irregularity. Too few rows or
findings: no model, and the reason is returned. Hold-out metrics: the model is first fitted on
the earliest 75% of the training rows (by inspection day) and measured on the latest 25% (ROC
AUC, average precision), then refitted on all of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from customs.risk_model.store import ModelStore

from customs.risk_model.features import (
    CATEGORICAL_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
    category_codes,
    matrix,
)
from customs.risk_model.trees import CompiledTrees, compile_trees

MODEL_VERSION = "hgb-1"
PARAMS: dict[str, object] = {
    "learning_rate": 0.1,
    "max_iter": 100,
    "max_leaf_nodes": 8,
    "min_samples_leaf": 10,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}
HOLDOUT_SHARE = 0.25


@dataclass(frozen=True)
class TrainingConfig:
    window_days: int = 90
    min_rows: int = 200
    min_findings: int = 20


PARALLEL_PREDICTION_ROWS = 50_000
"""Batches of at least this many rows are predicted on every available core."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class TrainedModel:
    run_id: str
    cutoff: date
    window_start: date
    window_end: date  # last day of inspection outcomes used (< cutoff)
    rows: int
    findings: int
    metrics: dict[str, float | None]
    categories: dict[str, list[str]]
    baseline: np.ndarray  # per feature: the value a feature is reset to when explaining
    model: object = field(repr=False)  # the scikit-learn estimator; None as loaded for scoring
    fitted_at: datetime | None = None
    # the estimator's trees as arrays (trees.py), predicted without importing scikit-learn
    trees: CompiledTrees | None = field(default=None, repr=False)

    @property
    def needs_sklearn(self) -> bool:
        """Whether predicting needs the scikit-learn estimator (no compiled trees)."""
        return getattr(self, "trees", None) is None  # models stored before the trees: None

    def for_scoring(self) -> TrainedModel:
        """This model without the estimator, when its trees predict it."""
        return self if self.needs_sklearn else replace(self, model=None)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of a finding per row: by the compiled trees (the estimator's
        ``predict_proba``, bit for bit), else by the estimator. There, a large batch (the
        occluded copies of an explanation: about 15 per declaration) is predicted on every core
        the process may use, even inside ``single_thread()``: each row's score is the sum of
        its trees in a fixed order, so the threads do not change it, and at this size the
        busy-waiting that ``single_thread()`` avoids for small fits costs nothing next to the
        work shared."""
        if not self.needs_sklearn:
            return self.trees.predict(x)
        from threadpoolctl import threadpool_limits

        large = x.shape[0] >= PARALLEL_PREDICTION_ROWS
        with threadpool_limits(limits=available_cores()) if large else nullcontext():
            return self.model.predict_proba(x)[:, 1]


@dataclass(frozen=True)
class Skipped:
    cutoff: date
    window_start: date
    rows: int
    findings: int
    reason: str


def _classifier():
    from sklearn.ensemble import HistGradientBoostingClassifier

    mask = [f in CATEGORICAL_FEATURES for f in FEATURES]
    return HistGradientBoostingClassifier(categorical_features=mask, **PARAMS)


def training_rows(
    declarations: pl.DataFrame, outcomes: pl.DataFrame, cutoff: date, window_days: int
) -> pl.DataFrame:
    """Declarations whose outcome was known before ``cutoff`` (inspected on an earlier day,
    within the window), with ``is_finding``, oldest inspection first."""
    start = cutoff - timedelta(days=window_days)
    known = outcomes.filter(
        (pl.col("inspected_date") < cutoff) & (pl.col("inspected_date") >= start)
    )
    return declarations.join(known, on="declaration_id", how="inner").sort(
        ["inspected_date", "declaration_id"]
    )


def _run_id(cutoff: date, rows: pl.DataFrame) -> str:
    digest = hashlib.sha256(
        json.dumps(
            {
                "version": MODEL_VERSION,
                "params": PARAMS,
                "features": FEATURES,
                "rows": rows.select("declaration_id", "is_finding").hash_rows().sum(),
            },
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()[:10]
    return f"{MODEL_VERSION}-{cutoff:%Y%m%d}-{digest}"


def _fittable(x: np.ndarray) -> np.ndarray:
    """``x`` with every column that holds no value at all (all NaN) set to 0. Such a column
    carries nothing to learn, and scikit-learn's binning fails on it ("window shape cannot be
    larger than input array shape": no distinct value to put a threshold between), as in a
    first training window whose inspected declarations are all warehouse entries (no value
    gap, no reference price). As a constant it gets no split, so predictions are the same
    whether a row's value is missing or not."""
    empty = np.isnan(x).all(axis=0)
    if not empty.any():
        return x
    filled = x.copy()
    filled[:, empty] = 0.0
    return filled


def _holdout_metrics(x: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    split = int(len(y) * (1 - HOLDOUT_SHARE))
    fit_y, test_y = y[:split], y[split:]
    if len(set(fit_y)) < 2 or len(set(test_y)) < 2:
        return {"holdout_rows": float(len(test_y)), "roc_auc": None, "average_precision": None}
    model = _classifier().fit(_fittable(x[:split]), fit_y)
    p = model.predict_proba(x[split:])[:, 1]
    return {
        "holdout_rows": float(len(test_y)),
        "holdout_findings": float(test_y.sum()),
        "roc_auc": float(roc_auc_score(test_y, p)),
        "average_precision": float(average_precision_score(test_y, p)),
    }


def single_thread():
    """One OpenMP thread for fitting and predicting: on a small, shared machine the default (one
    thread per core, busy-waiting) made a fit of a few hundred rows 15 times slower.

    threadpoolctl limits only the thread pools already loaded: scikit-learn's OpenMP runtime is
    loaded first, else the first fit of a process ran unlimited (16 s instead of 1 s for 30k
    rows while another job used the second core)."""
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime to limit)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def train(
    declarations: pl.DataFrame,
    outcomes: pl.DataFrame,
    cutoff: date,
    config: TrainingConfig | None = None,
    store: ModelStore | None = None,
) -> TrainedModel | Skipped:
    """The model for declarations of ``cutoff`` and later, from outcomes known before it; with
    ``store``, a model already fitted on the same training rows is loaded instead, and a newly
    fitted one is kept."""
    return _train(declarations, outcomes, cutoff, config or TrainingConfig(), store)


def _train(
    declarations: pl.DataFrame,
    outcomes: pl.DataFrame,
    cutoff: date,
    config: TrainingConfig,
    store: ModelStore | None,
) -> TrainedModel | Skipped:
    rows = training_rows(declarations, outcomes, cutoff, config.window_days)
    start = cutoff - timedelta(days=config.window_days)
    findings = int(rows["is_finding"].sum()) if rows.height else 0
    if rows.height < config.min_rows or findings < config.min_findings:
        return Skipped(
            cutoff=cutoff,
            window_start=start,
            rows=rows.height,
            findings=findings,
            reason=(
                f"not enough inspection outcomes before {cutoff}: {rows.height} inspected "
                f"declarations (minimum {config.min_rows}), {findings} findings "
                f"(minimum {config.min_findings})"
            ),
        )
    run_id = _run_id(cutoff, rows)
    if store is not None and (kept := store.load_for_scoring(run_id)) is not None:
        return kept
    categories = category_codes(rows)
    x = matrix(rows, categories)
    y = rows["is_finding"].cast(pl.Int8).to_numpy()
    with single_thread():
        metrics = _holdout_metrics(x, y)
        fitted = _classifier().fit(_fittable(x), y)
    # Baseline for explanations: the training median of numeric features; categorical
    # features are reset to missing (the model's branch for an unknown category).
    with warnings.catch_warnings():  # a column with no value has no median: NaN, as wanted
        warnings.simplefilter("ignore", RuntimeWarning)
        baseline = np.nanmedian(x, axis=0)
    baseline[len(NUMERIC_FEATURES) :] = np.nan
    model = TrainedModel(
        run_id=run_id,
        cutoff=cutoff,
        window_start=max(start, rows["inspected_date"].min()),
        window_end=rows["inspected_date"].max(),
        rows=rows.height,
        findings=findings,
        metrics=metrics,
        categories=categories,
        baseline=baseline,
        model=fitted,
        fitted_at=datetime.now(UTC),
        trees=compile_trees(fitted, x.shape[1]),
    )
    if store is not None:
        store.save(model)
    return model
