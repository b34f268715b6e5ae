"""The fitted models, kept by run id beside the warehouse (``<warehouse dir>/risk_models/``).

A block's model is a function of its training rows (the run id hashes them with the model
version, parameters and features; fitting is deterministic), so a daily run whose block has the
same training rows as yesterday's loads yesterday's model instead of fitting it twice again
(fit and hold-out fit). It also lets an analyst reload the exact model behind any score:
``ModelStore(folder).load(model_run_id)``.

Files are pickles written by this task only (a model is a scikit-learn object); they live in
the build area, not in the published snapshot, and are loaded only from this folder. A file
that cannot be read is ignored and the model is fitted again.

Each model is kept twice: ``<run id>.pkl`` whole, and ``<run id>.scoring.pkl`` without the
scikit-learn estimator, whose compiled trees (trees.py) predict it. The daily run loads the
second: unpickling the estimator imports scikit-learn, 2-3 s that a day's scoring spends on
nothing else.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

from customs.risk_model.train import TrainedModel
from customs.risk_model.trees import compile_trees

log = logging.getLogger(__name__)

FOLDER_NAME = "risk_models"


class ModelStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.loaded = 0  # models loaded instead of fitted, for the task log

    @classmethod
    def beside(cls, warehouse_path: Path) -> ModelStore:
        return cls(warehouse_path.parent / FOLDER_NAME)

    def path(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.pkl"

    def scoring_path(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.scoring.pkl"

    def load(self, run_id: str) -> TrainedModel | None:
        """The whole model, scikit-learn estimator included (imports scikit-learn)."""
        return self._counted(self._read(self.path(run_id), run_id))

    def load_for_scoring(self, run_id: str) -> TrainedModel | None:
        """The model as scoring needs it: without the estimator when its compiled trees
        predict it (no scikit-learn import), else whole. A model whose scoring file is
        missing or unreadable (one kept before the scoring files existed gets its trees
        compiled first) has it written again from the whole model."""
        model = self._read(self.scoring_path(run_id), run_id)
        if model is not None and not model.needs_sklearn:
            return self._counted(model)
        whole = self._read(self.path(run_id), run_id)
        if whole is None:
            return None
        if whole.needs_sklearn and whole.model is not None:
            whole.trees = compile_trees(whole.model, len(whole.baseline))
        if whole.needs_sklearn:  # trees too large to compile: the estimator predicts
            return self._counted(whole)
        scoring = whole.for_scoring()
        self._write(self.scoring_path(run_id), scoring)  # missing or unreadable until now
        return self._counted(scoring)

    def _counted(self, model: TrainedModel | None) -> TrainedModel | None:
        if model is not None:
            self.loaded += 1
        return model

    def _read(self, path: Path, run_id: str) -> TrainedModel | None:
        if not path.exists():
            return None
        try:
            model = pickle.loads(path.read_bytes())  # our own files only (see above)
        except Exception:  # a damaged or outdated file: fit again
            log.warning("risk model %s: %s unreadable, fitting again", run_id, path)
            return None
        if not isinstance(model, TrainedModel) or model.run_id != run_id:
            return None
        return model

    def save(self, model: TrainedModel) -> None:
        self._write(self.path(model.run_id), model)
        if not model.needs_sklearn:
            self._write(self.scoring_path(model.run_id), model.for_scoring())

    def _write(self, target: Path, model: TrainedModel) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        tmp.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, target)
