"""The DATE metrics (Kim et al., KDD 2020) on tiny frames whose values are computed by hand."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from customs.evaluation import (
    evaluate,
    evaluate_frame,
    precision_at,
    rank_metrics,
    revenue_at,
    top_count,
)


def test_top_count_rounds_up_so_one_percent_of_fifty_inspects_one() -> None:
    assert top_count(50, 1) == 1
    assert top_count(200, 5) == 10
    assert top_count(201, 5) == 11
    assert top_count(0, 5) == 0
    assert top_count(3, 100) == 3


def test_precision_and_revenue_at_n_percent_by_hand() -> None:
    # 20 declarations in inspection order: frauds at positions 1, 3 and 20.
    is_fraud = pl.Series([True, False, True] + [False] * 16 + [True])
    revenue = pl.Series([10.0, 0.0, 30.0] + [0.0] * 16 + [60.0])
    # 10% of 20 = 2 inspected: 1 fraud of 2, 10 of 100 revenue.
    assert precision_at(is_fraud, 10) == pytest.approx(0.5)
    assert revenue_at(revenue, 10) == pytest.approx(0.1)
    # 15% = 3 inspected: 2 of 3, 40 of 100.
    assert precision_at(is_fraud, 15) == pytest.approx(2 / 3)
    assert revenue_at(revenue, 15) == pytest.approx(0.4)
    assert precision_at(is_fraud, 100) == pytest.approx(3 / 20)
    assert revenue_at(revenue, 100) == pytest.approx(1.0)


def test_revenue_at_without_any_revenue_is_zero() -> None:
    assert revenue_at(pl.Series([0.0, 0.0]), 50) == 0.0


def test_rank_metrics_names() -> None:
    ranked = pl.DataFrame({"is_fraud": [True, False], "label_revenue_eur": [5.0, 0.0]})
    assert rank_metrics(ranked, (50.0,)) == {"precision@50%": 1.0, "revenue@50%": 1.0}


def _scores() -> pl.DataFrame:
    # 100 declarations; composite ranks D00 and D01 first, the value gap ranks D99 first.
    ids = [f"D{i:02d}" for i in range(100)]
    return pl.DataFrame(
        {
            "declaration_id": ids,
            "composite_score": [1.0 - i / 100 for i in range(100)],
            "revenue_at_stake_eur": [0.0] * 100,
            "expected_revenue_eur": [0.0] * 100,
            "value_gap_score": [i / 100 for i in range(100)],
        }
    )


LABELS = pl.DataFrame(
    {
        "declaration_id": ["D00", "D00", "D01", "D50"],
        "item_no": [1, 2, 1, 1],
        "revenue_at_stake_eur": [3.0, 2.0, 5.0, 10.0],
    }
)


def test_evaluate_frame_composite_signal_and_random() -> None:
    evaluation = evaluate_frame(_scores(), LABELS)
    assert evaluation.declarations == 100
    assert evaluation.anomalous == 3
    assert evaluation.revenue_eur == pytest.approx(20.0)
    composite = evaluation.metrics["composite"]
    # 1% = D00 (fraud, 5 of 20); 2% = D00, D01 (both frauds, 10 of 20).
    assert composite["precision@1%"] == 1.0
    assert composite["revenue@1%"] == pytest.approx(0.25)
    assert composite["precision@2%"] == 1.0
    assert composite["revenue@2%"] == pytest.approx(0.5)
    # 5%: 2 of 5; 10%: 2 of 10.
    assert composite["precision@5%"] == pytest.approx(0.4)
    assert composite["precision@10%"] == pytest.approx(0.2)
    value_gap = evaluation.metrics["value_gap"]
    assert value_gap["precision@10%"] == 0.0  # D99..D90 are honest
    assert "reference_price" not in evaluation.metrics  # column absent: not evaluated
    # The random order is seeded: the same figures every time.
    assert evaluate_frame(_scores(), LABELS).metrics["random"] == evaluation.metrics["random"]


def test_evaluate_writes_metrics_json(tmp_path, monkeypatch) -> None:
    import customs.evaluation as module

    monkeypatch.setattr(module, "read_scores", lambda path: _scores())
    labels_path = tmp_path / "labels.parquet"
    LABELS.write_parquet(labels_path)
    evaluate(tmp_path / "unused.duckdb", labels_path, tmp_path / "evaluation")
    written = json.loads((tmp_path / "evaluation" / "metrics.json").read_text())
    assert written["anomalous_declarations"] == 3
    assert written["metrics"]["composite"]["revenue@2%"] == pytest.approx(0.5)


def test_format_table_has_a_row_per_ranker() -> None:
    from customs.evaluation import format_table

    lines = format_table(evaluate_frame(_scores(), LABELS)).splitlines()
    assert lines[0] == "all days (no model scores)"
    lines = lines[1:]
    assert lines[0] == "100 declarations, 3 anomalous, EUR 20.00 revenue at stake"
    assert lines[1].split()[:3] == ["ranking", "precision@1%", "revenue@1%"]
    assert lines[2].split()[:3] == ["composite", "100.0%", "25.0%"]
    assert [line.split()[0] for line in lines[2:]] == [
        "composite",
        "expected_revenue",
        "value_gap",
        "random",
    ]


def test_with_model_scores_every_ranking_is_measured_on_the_days_the_model_scored() -> None:
    # D00-D49 on day 1 (no model yet), D50-D99 on day 2 (scored): the hold-out is day 2 only.
    scores = _scores().with_columns(
        declared_date=pl.Series([date(2026, 9, 1)] * 50 + [date(2026, 9, 2)] * 50),
        model_score=pl.Series([None] * 50 + [1.0 - i / 100 for i in range(50, 100)]),
    )
    evaluation = evaluate_frame(scores, LABELS)
    assert evaluation.period == (date(2026, 9, 2), date(2026, 9, 2))
    assert evaluation.declarations == 50
    assert evaluation.anomalous == 1  # D50 only; D00 and D01 are before the hold-out
    assert evaluation.revenue_eur == pytest.approx(10.0)
    # The model ranks D50 first: 1% of 50 inspects one, a fraud holding all the revenue.
    assert evaluation.metrics["model"]["precision@1%"] == 1.0
    assert evaluation.metrics["model"]["revenue@1%"] == 1.0
    # The composite is measured on the same 50 declarations (D50 is its first there too).
    assert evaluation.metrics["composite"]["precision@1%"] == 1.0
    assert evaluation.metrics["value_gap"]["precision@1%"] == 0.0  # D99 first
    assert evaluation.to_json()["holdout_start"] == "2026-09-02"
