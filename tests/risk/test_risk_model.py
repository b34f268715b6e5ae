"""The risk model on synthetic frames: no look-ahead, skipped blocks, explanations."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from customs.risk_model.features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES
from customs.risk_model.score import score_all
from customs.risk_model.train import TrainedModel, TrainingConfig, train

START = date(2026, 9, 1)
DAYS = 28
PER_DAY = 60
CONFIG = TrainingConfig(window_days=90, min_rows=40, min_findings=8)


def _declarations(seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = DAYS * PER_DAY
    frame = {
        "declaration_id": [f"D{i:05d}" for i in range(n)],
        "declared_date": [START + timedelta(days=i // PER_DAY) for i in range(n)],
    }
    for name in NUMERIC_FEATURES:
        frame[name] = rng.random(n)
    frame["hs_chapter"] = rng.choice(["61", "64", "85"], n).tolist()
    frame["origin_country"] = rng.choice(["CN", "TR"], n).tolist()
    frame["jurisdiction"] = rng.choice(["DE", "FR"], n).tolist()
    frame["procedure"] = ["H7"] * n
    return pl.DataFrame(frame)


def _outcomes(declarations: pl.DataFrame, seed: int = 4) -> pl.DataFrame:
    """A third of the declarations inspected 1-3 days later; findings where value_gap_score is high."""
    rng = np.random.default_rng(seed)
    inspected = declarations.filter(pl.Series(rng.random(declarations.height) < 0.33))
    lag = rng.integers(1, 4, inspected.height)
    return inspected.select(
        "declaration_id",
        (pl.col("declared_date") + pl.Series(lag).cast(pl.Int32) * pl.duration(days=1))
        .cast(pl.Date)
        .alias("inspected_date"),
        (pl.col("value_gap_score") > 0.7).alias("is_finding"),
    )


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    declarations = _declarations()
    return declarations, _outcomes(declarations)


@pytest.fixture(scope="module")
def baseline(frames):
    return score_all(*frames, retrain_days=7, config=CONFIG)


def _scores_of_day(result, day: date) -> pl.DataFrame:
    return (
        result.scores.filter(pl.col("declared_date") == day)
        .select("declaration_id", "model_score", "model_run_id", "top_feature_1")
        .sort("declaration_id")
    )


@pytest.mark.parametrize("offset", [14, 17])  # a block's first day, and a day inside a block
def test_outcomes_on_or_after_day_d_do_not_change_scores_of_day_d(frames, baseline, offset) -> None:
    declarations, outcomes = frames
    day = START + timedelta(days=offset)
    before = baseline
    # Flip every outcome known on or after D, and add findings on D for uninspected declarations.
    late = pl.col("inspected_date") >= day
    flipped = outcomes.with_columns(
        pl.when(late).then(~pl.col("is_finding")).otherwise(pl.col("is_finding"))
    )
    extra = (
        declarations.filter(pl.col("declared_date") < day)
        .join(outcomes, on="declaration_id", how="anti")
        .select(
            "declaration_id", pl.lit(day).alias("inspected_date"), pl.lit(True).alias("is_finding")
        )
    )
    after = score_all(declarations, pl.concat([flipped, extra]), retrain_days=7, config=CONFIG)
    expected = _scores_of_day(before, day)
    assert expected["model_score"].is_not_null().all()
    assert _scores_of_day(after, day).equals(expected)
    # ...while changing an outcome known before D does change them (the test can fail).
    early = outcomes.with_columns(
        pl.when(pl.col("inspected_date") < day - timedelta(days=3))
        .then(~pl.col("is_finding"))
        .otherwise(pl.col("is_finding"))
    )
    changed = score_all(declarations, early, retrain_days=7, config=CONFIG)
    assert not _scores_of_day(changed, day)["model_score"].equals(expected["model_score"])


def test_each_model_is_trained_on_outcomes_before_the_days_it_scores(baseline) -> None:
    result = baseline
    trained = [run for run in result.runs if isinstance(run, TrainedModel)]
    assert trained
    for run in trained:
        assert run.window_end < run.cutoff
        scored = result.scores.filter(pl.col("model_run_id") == run.run_id)
        assert scored.height > 0
        assert scored["declared_date"].min() >= run.cutoff
        assert run.rows >= CONFIG.min_rows and run.findings >= CONFIG.min_findings


def test_without_enough_outcomes_nothing_is_scored_and_the_reason_is_kept(frames) -> None:
    declarations, outcomes = frames
    strict = TrainingConfig(window_days=90, min_rows=10_000, min_findings=8)
    result = score_all(declarations, outcomes, retrain_days=7, config=strict)
    assert result.scores.height == declarations.height
    assert (
        result.scores["model_score"].is_null().all()
        if "model_score" in result.scores.columns
        else True
    )
    assert result.scores["reason"].str.contains("not enough inspection outcomes").all()


def test_the_first_block_has_no_earlier_outcomes_and_is_not_scored(baseline) -> None:
    first = baseline
    week_one = first.scores.filter(pl.col("declared_date") < START + timedelta(days=7))
    assert week_one["model_score"].is_null().all()


def test_top_features_name_the_feature_that_drives_the_score(frames, baseline) -> None:
    declarations, outcomes = frames
    model = train(declarations, outcomes, START + timedelta(days=21), CONFIG)
    assert isinstance(model, TrainedModel)
    assert model.metrics["roc_auc"] is not None and model.metrics["roc_auc"] > 0.8
    result = baseline
    late = result.scores.filter(pl.col("declared_date") >= START + timedelta(days=21)).join(
        declarations.select("declaration_id", "value_gap_score"), on="declaration_id"
    )
    risky = late.filter(pl.col("value_gap_score") > 0.9)
    assert risky.height > 0
    assert (risky["top_feature_1"] == "value_gap_score").mean() > 0.9
    assert (risky["top_feature_1_contribution"] > 0).all()
    assert set(late["top_feature_1"].drop_nulls()) <= set(FEATURES)
    assert len(FEATURES) == len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES)


def test_single_thread_limits_openmp_even_before_scikit_learn_is_imported() -> None:
    import subprocess
    import sys

    code = (
        "import sys, threadpoolctl\n"
        "from customs.risk_model.train import single_thread\n"
        "assert 'sklearn' not in sys.modules\n"
        "with single_thread():\n"
        "    import sklearn.ensemble\n"  # what the first fit of a process does
        "    pools = [p for p in threadpoolctl.threadpool_info() if p['user_api'] == 'openmp']\n"
        "print([p['num_threads'] for p in pools])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[1]"


def test_a_large_batch_predicted_on_every_core_scores_as_on_one(frames, monkeypatch) -> None:
    """Explanations predict their occluded copies on every core (``PARALLEL_PREDICTION_ROWS``):
    the scores equal those of one thread, row for row, and the threads are one again after."""
    import threadpoolctl

    import customs.risk_model.train as train_module
    from customs.risk_model.features import matrix
    from customs.risk_model.train import single_thread

    declarations, outcomes = frames
    fitted = train(declarations, outcomes, START + timedelta(days=21), CONFIG)
    assert isinstance(fitted, TrainedModel)
    model = replace(fitted, trees=None)  # predicted by the estimator (trees: test_trees.py)
    x = np.repeat(matrix(declarations, model.categories), 40, axis=0)
    with single_thread():
        one = model.model.predict_proba(x)[:, 1]
        monkeypatch.setattr(train_module, "PARALLEL_PREDICTION_ROWS", x.shape[0])
        seen: list[int] = []
        real = model.model.predict_proba

        def spy(rows):
            pools = threadpoolctl.threadpool_info()
            seen.append(max(p["num_threads"] for p in pools if p["user_api"] == "openmp"))
            return real(rows)

        monkeypatch.setattr(model.model, "predict_proba", spy)
        every = model.predict(x)
        after = [
            p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "openmp"
        ]
    assert np.array_equal(one, every)
    assert seen == [train_module.available_cores()]
    assert after and set(after) == {1}


def test_a_feature_with_no_value_in_the_training_rows_is_learnt_around(frames) -> None:
    """A first training window whose inspected declarations are all warehouse entries has
    features with no value at all (no value gap, no reference price): the model is fitted
    anyway, the empty feature gets no split, and it never explains a score."""
    declarations, outcomes = frames
    empty = next(name for name in NUMERIC_FEATURES if name != "value_gap_score")
    without = declarations.with_columns(pl.lit(None, pl.Float64).alias(empty))
    model = train(without, outcomes, START + timedelta(days=21), CONFIG)
    assert isinstance(model, TrainedModel)
    assert model.metrics["roc_auc"] is not None and model.metrics["roc_auc"] > 0.8
    result = score_all(without, outcomes, retrain_days=7, config=CONFIG)
    scored = result.scores.filter(pl.col("model_score").is_not_null())
    assert scored.height > 0
    assert empty not in set(scored["top_feature_1"].drop_nulls())
