"""The compiled trees predict what scikit-learn predicts, bit for bit, without importing it."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from customs.risk_model.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, matrix
from customs.risk_model.store import ModelStore
from customs.risk_model.train import PARAMS, TrainedModel, TrainingConfig, train
from customs.risk_model.trees import MAX_SPLITS, compile_trees

START = date(2026, 9, 1)
CONFIG = TrainingConfig(window_days=90, min_rows=40, min_findings=8)


def _frames(seed: int = 5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Declarations whose findings depend on numeric features, on a category and on missing
    values, so that the trees split on all three kinds."""
    rng = np.random.default_rng(seed)
    n = 3_000
    frame: dict[str, object] = {
        "declaration_id": [f"D{i:05d}" for i in range(n)],
        "declared_date": [START + timedelta(days=i // 150) for i in range(n)],
    }
    for name in NUMERIC_FEATURES:
        values = rng.random(n)
        values[rng.random(n) < 0.2] = np.nan
        frame[name] = values
    chapters = ["61", "62", "64", "85", "95"]
    frame["hs_chapter"] = rng.choice(chapters, n).tolist()
    frame["origin_country"] = rng.choice(["CN", "TR", "VN"], n).tolist()
    frame["jurisdiction"] = rng.choice(["DE", "FR", "US"], n).tolist()
    frame["procedure"] = rng.choice(["H1", "H7", "WH"], n).tolist()
    declarations = pl.DataFrame(frame).with_columns(
        pl.when(pl.Series(rng.random(n) < 0.1))
        .then(None)
        .otherwise(pl.col("hs_chapter"))
        .alias("hs_chapter")
    )
    gap = declarations[NUMERIC_FEATURES[0]].fill_nan(None)
    finding = (
        (gap.fill_null(0.9) > 0.6) | declarations["hs_chapter"].is_in(["64", "95"]).fill_null(False)
    ) & pl.Series(rng.random(n) < 0.8)
    outcomes = declarations.select(
        "declaration_id",
        (pl.col("declared_date") + pl.duration(days=1)).alias("inspected_date"),
        finding.alias("is_finding"),
    )
    return declarations, outcomes


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    declarations, outcomes = _frames()
    fitted = train(declarations, outcomes, START + timedelta(days=21), CONFIG)
    assert isinstance(fitted, TrainedModel)
    return fitted


def _sklearn(model: TrainedModel, x: np.ndarray) -> np.ndarray:
    return model.model.predict_proba(x)[:, 1]


def _odd_rows(model: TrainedModel) -> np.ndarray:
    """Rows the matrix may hold and some it never does: missing values everywhere, category
    codes out of range, negative, fractional or unknown to the fitted encoder."""
    declarations, _ = _frames(seed=9)
    x = matrix(declarations, model.categories)
    rng = np.random.default_rng(1)
    odd = x[:500].copy()
    first = len(NUMERIC_FEATURES)
    for column in range(first, first + len(CATEGORICAL_FEATURES)):
        odd[:, column] = rng.choice([np.nan, -1.0, 0.5, 7.0, 300.0, 0.0, 1.0], odd.shape[0])
    odd[::7, :first] = np.nan
    return np.vstack([x, odd])


def test_the_trees_split_on_numbers_categories_and_missing_values(model) -> None:
    trees = model.trees
    assert trees is not None
    assert (trees.categorical >= 0).any()  # some categorical splits
    assert ((trees.categorical < 0) & (trees.feature >= 0)).any()  # and numeric ones
    assert trees.missing_left.any() and not trees.missing_left.all()


def test_compiled_trees_predict_as_scikit_learn_bit_for_bit(model) -> None:
    x = _odd_rows(model)
    expected = _sklearn(model, x)
    got = model.predict(x)
    assert not model.needs_sklearn
    assert got.dtype == np.float64
    assert np.array_equal(got, expected)
    assert len(np.unique(expected)) > 50


def test_an_unknown_category_takes_the_missing_branch_as_in_scikit_learn() -> None:
    """A categorical column whose middle code never occurs at fit: the encoder does not know
    it, so scikit-learn sends it along each split's missing branch, as the trees do."""
    from customs.risk_model.train import _classifier

    rng = np.random.default_rng(3)
    n, k = 4_000, len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES)
    x = rng.random((n, k))
    for column in range(len(NUMERIC_FEATURES), k):
        x[:, column] = rng.choice([0.0, 2.0, 3.0], n)
    y = ((x[:, -1] == 2.0) ^ (x[:, 0] > 0.7)).astype(int)
    estimator = _classifier().fit(x, y)
    trees = compile_trees(estimator, k)
    assert trees is not None
    probe = x[:300].copy()
    probe[:100, -1] = 1.0  # a code the encoder never saw
    probe[100:200, -1] = np.nan
    assert np.array_equal(trees.predict(probe), estimator.predict_proba(probe)[:, 1])


def test_larger_trees_are_left_to_scikit_learn(model) -> None:
    """Trees with more splits than MAX_SPLITS are not compiled: the estimator predicts."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    declarations, outcomes = _frames()
    x = matrix(declarations, model.categories)
    y = outcomes["is_finding"].cast(pl.Int8).to_numpy()
    params = {**PARAMS, "max_leaf_nodes": MAX_SPLITS + 10, "max_iter": 5, "min_samples_leaf": 2}
    estimator = HistGradientBoostingClassifier(**params).fit(np.nan_to_num(x), y)
    assert compile_trees(estimator, x.shape[1]) is None
    legacy = replace(model, trees=None)
    assert legacy.needs_sklearn
    assert np.array_equal(legacy.predict(x[:200]), _sklearn(model, x[:200]))


def test_the_store_scores_without_importing_scikit_learn(model, tmp_path: Path) -> None:
    """A stored model loads for scoring in a process that never imports scikit-learn, and
    predicts the same probabilities there."""
    store = ModelStore(tmp_path / "risk_models")
    store.save(model)
    assert store.path(model.run_id).exists()
    assert store.scoring_path(model.run_id).exists()
    x = _odd_rows(model)
    np.save(tmp_path / "x.npy", x)
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from customs.risk_model.store import ModelStore\n"
        f"store = ModelStore(__import__('pathlib').Path({str(store.folder)!r}))\n"
        f"model = store.load_for_scoring({model.run_id!r})\n"
        f"p = model.predict(np.load({str(tmp_path / 'x.npy')!r}))\n"
        f"np.save({str(tmp_path / 'p.npy')!r}, p)\n"
        "print(json.dumps({'sklearn': any(m.startswith('sklearn') for m in sys.modules),"
        " 'estimator': model.model is not None, 'loaded': store.loaded}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"sklearn": False, "estimator": False, "loaded": 1}
    assert np.array_equal(np.load(tmp_path / "p.npy"), _sklearn(model, x))
    whole = store.load(model.run_id)
    assert whole is not None and whole.model is not None  # analysts still get the estimator


def test_a_model_stored_before_the_trees_gets_them_once(model, tmp_path: Path) -> None:
    """A model kept by an earlier version (no trees, no scoring file) is compiled on its first
    load for scoring, and its scoring file written for the next day."""
    store = ModelStore(tmp_path / "risk_models")
    old = replace(model, trees=None)
    del old.__dict__["trees"]  # as unpickled from a file written before the field existed
    store.folder.mkdir(parents=True)
    store.path(model.run_id).write_bytes(pickle.dumps(old))
    loaded = store.load_for_scoring(model.run_id)
    assert loaded is not None and not loaded.needs_sklearn
    assert store.scoring_path(model.run_id).exists()
    again = ModelStore(store.folder).load_for_scoring(model.run_id)
    assert again is not None and again.model is None
    x = _odd_rows(model)
    assert np.array_equal(again.predict(x), _sklearn(model, x))
