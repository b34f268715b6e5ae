"""The fitted gradient-boosting trees as plain arrays, predicted with NumPy alone.

Scoring a day loads the block's stored model and predicts about 15 occluded copies of each
declaration (score.py). Unpickling the scikit-learn estimator imports scikit-learn, which
imports SciPy's statistics and pandas: 2-3 s on the benchmark machine, more than the
predictions themselves. At fit time the estimator's trees are therefore compiled into arrays
(``compile_trees``), stored beside the full model (store.py), and predicted here without
importing scikit-learn (docs/benchmarks.md, ninth round).

The prediction is scikit-learn's, bit for bit (tests/risk/test_trees.py compares them):
- the estimator's preprocessing: categorical columns ordinal-encoded (a value the encoder did
  not see at fit is missing), and placed before the numeric ones;
- each tree's walk as in scikit-learn's ``_predict_from_raw_data``: a missing value follows
  the node's missing branch; a categorical value goes left if in the node's left bitset, right
  if a known category, else the missing branch; a numeric one goes left if ``<=`` the threshold;
- the raw score: the baseline plus each tree's leaf value, added in the trees' order;
- the probability: ``scipy.special.expit`` of it (the estimator's logit link).

A tree with at most ``MAX_SPLITS`` splits (``max_leaf_nodes`` is 8: 7 splits) is evaluated for
all rows at once: every split's direction as one bit, and the leaf read from a table of the
``2 ** splits`` bit patterns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SPLITS = 12
"""Largest number of splits per tree compiled (a leaf table of 4,096 entries)."""
CHUNK_ROWS = 16_384
"""Rows predicted at a time: their working arrays (about 0.5 MB) stay in the CPU's cache."""


@dataclass(frozen=True)
class CompiledTrees:
    """Every tree's splits, padded to the largest tree's count (padding never reaches a leaf).

    ``feature``: the split's column of the model's input matrix; ``threshold``: numeric splits
    go left when the value is ``<=`` it; ``missing_left``: the branch of a missing value;
    ``categorical``: the row of ``category_left`` that gives the branch of each category code
    (-1 for a numeric split); ``leaves``: per tree, the leaf value of every bit pattern of its
    splits (bit i set: split i went left)."""

    baseline: float
    feature: np.ndarray  # (trees, splits) int64
    threshold: np.ndarray  # (trees, splits) float64
    missing_left: np.ndarray  # (trees, splits) bool
    categorical: np.ndarray  # (trees, splits) int64, -1 = numeric split
    category_left: np.ndarray  # (categorical splits, codes + 1) bool; last column: missing
    leaves: np.ndarray  # (trees, 2 ** splits) float64

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The raw score (log-odds) of each row of ``x`` (rows x features, float64), computed
        ``CHUNK_ROWS`` rows at a time so that the working arrays stay in the CPU's cache."""
        out = np.empty(x.shape[0], dtype=np.float64)
        splits = self._splits()
        for start in range(0, x.shape[0], CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, x.shape[0])
            out[start:stop] = self._raw(x[start:stop], splits)
        return out

    def _splits(self) -> list[list[tuple[int, int, float, bool, int]]]:
        """Per tree: (column, categorical row or -1, threshold, missing goes left, bit value)
        of each split, as Python values for the loop below."""
        return [
            [
                (
                    int(self.feature[tree, split]),
                    int(self.categorical[tree, split]),
                    float(self.threshold[tree, split]),
                    bool(self.missing_left[tree, split]),
                    1 << split,
                )
                for split in range(self.feature.shape[1])
                if self.feature[tree, split] >= 0
            ]
            for tree in range(self.feature.shape[0])
        ]

    def _raw(self, x: np.ndarray, splits: list[list[tuple[int, int, float, bool, int]]]):
        columns = np.asfortranarray(x, dtype=np.float64)
        missing = np.isnan(columns)
        codes = self._codes(columns, missing)
        raw = np.zeros(x.shape[0], dtype=np.float64)
        raw += self.baseline
        pattern = np.empty(x.shape[0], dtype=np.intp)
        bits = np.empty(x.shape[0], dtype=np.intp)
        went_left = np.empty(x.shape[0], dtype=bool)
        for tree, tree_splits in enumerate(splits):
            pattern.fill(0)
            for column, categorical, threshold, missing_left, bit in tree_splits:
                if categorical >= 0:
                    np.take(self.category_left[categorical], codes[column], out=went_left)
                else:
                    np.less_equal(columns[:, column], threshold, out=went_left)
                    if missing_left:
                        went_left |= missing[:, column]
                np.multiply(went_left, bit, out=bits)
                pattern |= bits
            raw += self.leaves[tree].take(pattern)
        return raw

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of the positive class per row (the estimator's ``predict_proba[:, 1]``)."""
        from scipy.special import expit  # the estimator's link: 0.4 s to import, not 2-3 s

        return expit(self.raw(x))

    def _codes(self, columns: np.ndarray, missing: np.ndarray) -> dict[int, np.ndarray]:
        """Per categorical column: each value's index into ``category_left`` rows (an integer
        code in range, else the last column: missing or unknown)."""
        width = self.category_left.shape[1] - 1
        codes: dict[int, np.ndarray] = {}
        for column in np.unique(self.feature[self.categorical >= 0]):
            values = columns[:, column]
            valid = ~missing[:, column] & (values >= 0) & (values < width)
            valid &= values == np.floor(np.where(valid, values, 0))
            codes[int(column)] = np.where(valid, values, width).astype(np.int64)
        return codes


def compile_trees(estimator, n_features: int) -> CompiledTrees | None:
    """The trees of a fitted binary ``HistGradientBoostingClassifier`` as arrays, for rows of
    ``n_features`` columns whose categorical columns hold integer codes; None if a tree has
    more than ``MAX_SPLITS`` splits or the estimator is of another shape (then scikit-learn
    predicts)."""
    if getattr(estimator, "n_trees_per_iteration_", None) != 1:
        return None
    to_input = _input_columns(estimator, n_features)
    encoders = _category_encoders(estimator, n_features)
    known, known_row = estimator._bin_mapper.make_known_categories_bitsets()
    trees = [predictors[0] for predictors in estimator._predictors]
    splits = [np.flatnonzero(tree.nodes["is_leaf"] == 0) for tree in trees]
    width = max((len(s) for s in splits), default=0)
    if width > MAX_SPLITS:
        return None
    codes = 1 + max(
        (int(v) + 1 for values in encoders.values() for v in values if np.isfinite(v)), default=0
    )
    feature = np.full((len(trees), width), -1, dtype=np.int64)
    threshold = np.zeros((len(trees), width), dtype=np.float64)
    missing_left = np.zeros((len(trees), width), dtype=bool)
    categorical = np.full((len(trees), width), -1, dtype=np.int64)
    category_left: list[np.ndarray] = []
    leaves = np.zeros((len(trees), 2**width), dtype=np.float64)
    for t, (tree, tree_splits) in enumerate(zip(trees, splits, strict=True)):
        nodes = tree.nodes
        position = {int(node): i for i, node in enumerate(tree_splits)}
        for i, node in enumerate(tree_splits):
            split = nodes[node]
            column = to_input[int(split["feature_idx"])]
            feature[t, i] = column
            threshold[t, i] = split["num_threshold"]
            missing_left[t, i] = bool(split["missing_go_to_left"])
            if split["is_categorical"]:
                categorical[t, i] = len(category_left)
                category_left.append(
                    _category_branches(
                        encoders[column],
                        tree.raw_left_cat_bitsets[split["bitset_idx"]],
                        known[known_row[int(split["feature_idx"])]],
                        bool(split["missing_go_to_left"]),
                        codes,
                    )
                )
        leaves[t] = _leaf_table(nodes, position, width)
    return CompiledTrees(
        baseline=float(np.asarray(estimator._baseline_prediction).reshape(-1)[0]),
        feature=feature,
        threshold=threshold,
        missing_left=missing_left,
        categorical=categorical,
        category_left=(
            np.array(category_left, dtype=bool)
            if category_left
            else np.zeros((0, codes), dtype=bool)
        ),
        leaves=leaves,
    )


def _input_columns(estimator, n_features: int) -> list[int]:
    """For each column the trees split on (after the estimator's preprocessing), the column of
    the input matrix it comes from."""
    preprocessor = getattr(estimator, "_preprocessor", None)
    if preprocessor is None:
        return list(range(n_features))
    order: list[int] = []
    for _, transformer, selected in preprocessor.transformers_:
        if transformer == "drop":
            continue
        order.extend(_selected(selected, n_features))
    return order


def _category_encoders(estimator, n_features: int) -> dict[int, list[float]]:
    """Per categorical input column: the values its ordinal encoder knows, in code order."""
    preprocessor = getattr(estimator, "_preprocessor", None)
    if preprocessor is None:
        return {}
    encoders: dict[int, list[float]] = {}
    for _, transformer, selected in preprocessor.transformers_:
        categories = getattr(transformer, "categories_", None)
        if categories is None:
            continue
        for column, values in zip(_selected(selected, n_features), categories, strict=True):
            encoders[column] = [float(v) for v in values]
    return encoders


def _selected(selected, n_features: int) -> list[int]:
    array = np.asarray(selected)
    if array.dtype == bool:
        return [int(i) for i in np.flatnonzero(array)]
    return [int(i) % n_features for i in array]


def _in_bitset(bitset: np.ndarray, value: int) -> bool:
    return bool((int(bitset[value // 32]) >> (value % 32)) & 1)


def _category_branches(
    encoded: list[float],
    left_bitset: np.ndarray,
    known_bitset: np.ndarray,
    missing_left: bool,
    codes: int,
) -> np.ndarray:
    """Whether each input code (0 .. codes - 2; the last entry: missing or unknown) goes left
    at a categorical split. The encoder turns an input value into its position among the
    values it knows (an unknown value into a missing one); scikit-learn then sends it left if
    in the left bitset, right if a known category, else along the missing branch."""
    branches = np.full(codes, missing_left, dtype=bool)
    for position, value in enumerate(encoded):
        if value != np.floor(value) or not 0 <= value < codes - 1:
            continue  # an input value the matrix never holds (codes are integers in range)
        if _in_bitset(left_bitset, position):
            branches[int(value)] = True
        elif _in_bitset(known_bitset, position):
            branches[int(value)] = False
    return branches


def _leaf_table(nodes: np.ndarray, position: dict[int, int], width: int) -> np.ndarray:
    """The leaf value reached by every pattern of split directions (bit i: split i left)."""
    patterns = np.arange(2**width, dtype=np.int64)
    bit_of_node = np.zeros(len(nodes), dtype=np.int64)
    for node_index, bit in position.items():
        bit_of_node[node_index] = bit
    node = np.zeros(patterns.size, dtype=np.int64)
    for _ in range(len(position) + 1):
        leaf = nodes["is_leaf"][node] == 1
        if leaf.all():
            break
        left = ((patterns >> bit_of_node[node]) & 1) == 1
        step = np.where(left, nodes["left"][node], nodes["right"][node]).astype(np.int64)
        node = np.where(leaf, node, step)
    return nodes["value"][node].astype(np.float64)
