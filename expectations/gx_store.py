"""A validation-results store that keeps what it has read, for the Data Docs index.

Every Data Docs update rebuilds the index from all stored validation results (up to
``gx_run.INDEX_RUNS_LIMIT``), deserialising each one's JSON again: with a month of daily feed
checks that is several hundred reads per check, and the checks of a run grow slower day by day.
A stored result never changes (its key holds its run time), so this store keeps each
deserialised result for the life of the process (the GX context is kept as long, see
``gx_run``). Keys that disappear from the folder are simply not asked for again.

Imported by GX from the context configuration (``module_name``), only once GX is loaded.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from great_expectations.data_context.store import ValidationResultsStore

CACHE_LIMIT = 1000


class CachingValidationResultsStore(ValidationResultsStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read: OrderedDict[tuple[str, ...], Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        if self.cloud_mode or not hasattr(key, "to_tuple"):
            return super().get(key)
        cache_key = self.key_to_tuple(key)
        if cache_key in self._read:
            return self._read[cache_key]
        value = super().get(key)
        if value is not None:
            self._read[cache_key] = value
            while len(self._read) > CACHE_LIMIT:
                self._read.popitem(last=False)
        return value

    def set(self, key: Any, value: Any, **kwargs: Any) -> Any:
        self._forget(key)
        return super().set(key, value, **kwargs)

    def remove_key(self, key: Any) -> Any:
        self._forget(key)
        return super().remove_key(key)

    def _forget(self, key: Any) -> None:
        if hasattr(key, "to_tuple"):
            self._read.pop(self.key_to_tuple(key), None)
