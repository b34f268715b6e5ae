"""Measure the risk ranking against the generator's labels the way customs-fraud research does.

Kim et al., KDD 2020 ("DATE") rank declarations by a score and inspect the top n%:
precision@n% is the share of inspected declarations that are fraudulent, revenue@n% the share of
all recoverable revenue those inspections find. This module computes both for the composite score
of ``marts.fct_risk_scores``, for each signal alone, for the learned model
(``marts.fct_risk_model_scores``) and for a seeded random order, reading only the published
snapshot (read-only) and the labels file, which the pipeline never reads.

Hold-out: when the model scored declarations, every ranking is measured on the same
declarations, those of the days the model scored (from the first day a model was trained
for, to the last day): each was scored by a model trained on inspection outcomes known before
its day, i.e. the hold-out period lies after the training period. Without model scores, on all.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

PERCENTS = (1.0, 2.0, 5.0, 10.0)
# ranker name -> columns of fct_risk_scores ordered descending (ties: declaration_id).
RANKERS: dict[str, tuple[str, ...]] = {
    "composite": ("composite_score", "revenue_at_stake_eur"),
    "expected_revenue": ("expected_revenue_eur",),
    "value_gap": ("value_gap_score",),
    "reference_price": ("reference_score",),
    "misclassification": ("is_misclassified",),
    "split_consignment": ("is_split_consignment",),
    "warehouse_lot": ("lot_score",),
    "entity_history": ("entity_history_score",),
    "model": ("model_score",),
}
RANDOM_SEED = 20201


@dataclass(frozen=True)
class Evaluation:
    declarations: int
    anomalous: int
    revenue_eur: float
    metrics: dict[str, dict[str, float]]  # ranker -> {"precision@5%": 0.32, "revenue@5%": ...}
    period: tuple[date, date] | None = None  # hold-out days (None: no model, all declarations)

    def to_json(self) -> dict:
        return {
            "holdout_start": self.period[0].isoformat() if self.period else None,
            "holdout_end": self.period[1].isoformat() if self.period else None,
            "declarations": self.declarations,
            "anomalous_declarations": self.anomalous,
            "revenue_at_stake_eur": round(self.revenue_eur, 2),
            "metrics": self.metrics,
        }


def top_count(total: int, percent: float) -> int:
    """Declarations inspected at n%: the ceiling, so that 1% of 50 still inspects one."""
    return min(total, math.ceil(total * percent / 100)) if total else 0


def precision_at(is_fraud: pl.Series, percent: float) -> float:
    """Share of fraudulent declarations among the first n% of ``is_fraud`` (already ranked)."""
    count = top_count(is_fraud.len(), percent)
    return float(is_fraud.head(count).sum()) / count if count else 0.0


def revenue_at(revenue: pl.Series, percent: float) -> float:
    """Share of all revenue at stake found in the first n% of ``revenue`` (already ranked)."""
    total = float(revenue.sum())
    count = top_count(revenue.len(), percent)
    return float(revenue.head(count).sum()) / total if total else 0.0


def label_declarations(labels: pl.DataFrame) -> pl.DataFrame:
    """One row per anomalous declaration with its revenue at stake (EUR), from item labels."""
    return labels.group_by("declaration_id").agg(
        pl.col("revenue_at_stake_eur").cast(pl.Float64).sum().alias("label_revenue_eur")
    )


def rank_metrics(ranked: pl.DataFrame, percents: tuple[float, ...] = PERCENTS) -> dict[str, float]:
    """precision@n% and revenue@n% of a frame already in inspection order, with ``is_fraud``
    and ``label_revenue_eur`` (0 for honest declarations)."""
    metrics: dict[str, float] = {}
    for percent in percents:
        metrics[f"precision@{percent:g}%"] = precision_at(ranked["is_fraud"], percent)
        metrics[f"revenue@{percent:g}%"] = revenue_at(ranked["label_revenue_eur"], percent)
    return metrics


def holdout(scores: pl.DataFrame) -> tuple[pl.DataFrame, tuple[date, date] | None]:
    """The declarations of the days the model scored (all of them without model scores)."""
    if "model_score" not in scores.columns or scores["model_score"].is_null().all():
        return scores.drop("model_score", strict=False), None
    scored_days = scores.filter(pl.col("model_score").is_not_null())["declared_date"]
    period = (scored_days.min(), scored_days.max())
    return scores.filter(pl.col("declared_date").is_between(*period)), period


def evaluate_frame(
    scores: pl.DataFrame, labels: pl.DataFrame, seed: int = RANDOM_SEED
) -> Evaluation:
    """Metrics of every ranker of ``RANKERS`` present in ``scores`` and of a random order, on
    the hold-out period when ``scores`` has model scores (``holdout``)."""
    scores, period = holdout(scores)
    labelled = (
        scores.join(label_declarations(labels), on="declaration_id", how="left")
        .with_columns(
            pl.col("label_revenue_eur").is_not_null().alias("is_fraud"),
            pl.col("label_revenue_eur").fill_null(0.0),
        )
        .sort("declaration_id")
    )
    metrics: dict[str, dict[str, float]] = {}
    for name, columns in RANKERS.items():
        if all(column in labelled.columns for column in columns):
            ranked = labelled.sort(
                [*columns, "declaration_id"],
                descending=[True] * len(columns) + [False],
                nulls_last=True,
            )
            metrics[name] = rank_metrics(ranked)
    metrics["random"] = rank_metrics(labelled.sample(fraction=1.0, shuffle=True, seed=seed))
    return Evaluation(
        declarations=labelled.height,
        anomalous=int(labelled["is_fraud"].sum()),
        revenue_eur=float(labelled["label_revenue_eur"].sum()),
        metrics=metrics,
        period=period,
    )


def format_table(evaluation: Evaluation) -> str:
    """The metrics as a plain-text table, one ranker a row (fixed width, any terminal)."""
    names = list(next(iter(evaluation.metrics.values())))
    scope = (
        f"hold-out {evaluation.period[0]} to {evaluation.period[1]} (days scored by models "
        "trained on earlier inspection outcomes)"
        if evaluation.period
        else "all days (no model scores)"
    )
    lines = [
        scope,
        f"{evaluation.declarations:,} declarations, {evaluation.anomalous:,} anomalous, "
        f"EUR {evaluation.revenue_eur:,.2f} revenue at stake",
        f"{'ranking':<18}" + "".join(f"{name:>14}" for name in names),
    ]
    for ranker, metrics in evaluation.metrics.items():
        lines.append(f"{ranker:<18}" + "".join(f"{metrics[name]:>14.1%}" for name in names))
    return "\n".join(lines)


def read_scores(published_path: Path) -> pl.DataFrame:
    """The rankers' columns of fct_risk_scores, with the model score when the model ran."""
    columns = sorted(
        {c for cols in RANKERS.values() for c in cols} - {"model_score"}
        | {"declaration_id", "declared_date"}
    )
    select = ", ".join(f"scores.{c}" for c in columns)
    with duckdb.connect(str(published_path), read_only=True) as con:
        has_model = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'fct_risk_model_scores'"
        ).fetchall()[0][0]
        if not has_model:
            return con.sql(f"select {select} from marts.fct_risk_scores as scores").pl()
        return con.sql(
            f"select {select}, model.model_score from marts.fct_risk_scores as scores "
            "left join marts.fct_risk_model_scores as model "
            "on scores.declaration_id = model.declaration_id"
        ).pl()


def evaluate(published_path: Path, labels_path: Path, out_dir: Path) -> Evaluation:
    """Evaluate the published ranking against ``labels_path``; write ``out_dir/metrics.json``."""
    evaluation = evaluate_frame(read_scores(published_path), pl.read_parquet(labels_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "metrics.json"
    temporary = target.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(evaluation.to_json(), indent=2) + "\n")
    temporary.replace(target)
    return evaluation
