"""The fitted models, kept by run id beside the warehouse (``<warehouse dir>/risk_models/``).

A block's model is a function of its training rows (the run id hashes them with the model
version, parameters and features; fitting is deterministic), so a daily run whose block has the
same training rows as yesterday's loads yesterday's model instead of fitting it twice again
(fit and hold-out fit). It also lets an analyst reload the exact model behind any score:
``ModelStore(folder).load(model_run_id)``.

Files are pickles written by this task only (a model is a scikit-learn object); they live in
the build area, not in the published snapshot, and are loaded only from this folder. A file
that cannot be read is ignored and the model is fitted again.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

from customs.risk_model.train import TrainedModel

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

    def load(self, run_id: str) -> TrainedModel | None:
        path = self.path(run_id)
        if not path.exists():
            return None
        try:
            model = pickle.loads(path.read_bytes())  # our own files only (see above)
        except Exception:  # a damaged or outdated file: fit again
            log.warning("risk model %s: %s unreadable, fitting again", run_id, path)
            return None
        if not isinstance(model, TrainedModel) or model.run_id != run_id:
            return None
        self.loaded += 1
        return model

    def save(self, model: TrainedModel) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(model.run_id)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        tmp.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, target)
