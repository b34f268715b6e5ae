"""Run suites on pandas frames through Great Expectations Checkpoints, then update Data Docs.

Great Expectations is imported inside ``run_suites`` (4-8 s), never at module level, so DAG
files and the CLI stay light. The context is ephemeral (nothing is written into the repository)
but its Data Docs site is ``settings.data_docs_dir``; it is built once per process and folder,
with its suites and checkpoints (see ``_Site``). Validation results are kept as JSON under
``<data_docs_dir>/.gx/validation_results``: GX's index builder deletes every page whose result is
not in the context's store, so an in-memory store would leave only the latest run in the site.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

DATASOURCE = "customs"
SITE_NAME = "customs_site"
# Index only the most recent runs: each listed run is read from JSON on every rebuild.
INDEX_RUNS_LIMIT = 500

# GX logs hundreds of INFO/DEBUG lines per run under Airflow's logging (_docs_decorators alone
# logs one per decorated API at import).
_NOISY_LOGGERS = {
    "great_expectations": logging.WARNING,
    "great_expectations._docs_decorators": logging.ERROR,
    "posthog": logging.ERROR,
}


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation's outcome, JSON-safe, in the suite file's order."""

    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]
    success: bool
    result: dict[str, Any]
    exception: str | None

    @property
    def severity(self) -> str:
        return self.meta["severity"]


def gx_state_dir(data_docs_dir: Path) -> Path:
    return data_docs_dir / ".gx"


@dataclass(frozen=True)
class SuiteRun:
    """One suite to validate on one frame, with its ``$PARAMETER`` values and run name.

    ``frame`` may be a function that returns the frame: it is then called only when the run
    starts, so that a batch of runs (the chunks of a large mart) holds one frame at a time.
    """

    suite: dict[str, Any]
    frame: pd.DataFrame | Callable[[], pd.DataFrame]
    run_name: str
    parameters: dict[str, Any] = field(default_factory=dict)


def run_suite(
    suite: dict[str, Any],
    frame: pd.DataFrame,
    *,
    data_docs_dir: Path,
    run_name: str,
    parameters: dict[str, Any],
    site_suites: Sequence[dict[str, Any]] = (),
) -> list[ExpectationResult]:
    """Validate ``frame`` against ``suite``; update the Data Docs site; return every result.

    ``site_suites`` are the other suites of the project: they are registered (not run) so that
    the Data Docs index keeps their pages.
    """
    (results,) = run_suites(
        [SuiteRun(suite, frame, run_name, parameters)],
        data_docs_dir=data_docs_dir,
        site_suites=site_suites,
    )
    return results


def run_suites(
    runs: Sequence[SuiteRun],
    *,
    data_docs_dir: Path,
    site_suites: Sequence[dict[str, Any]] = (),
) -> list[list[ExpectationResult]]:
    """Validate each run's frame against its suite, then update Data Docs once for all of them.

    The GX context, suites, batch definitions and checkpoints are built once per process and
    Data Docs site (and again only for a suite whose content changed); each run's result is
    stored as JSON as it completes; the site is then rebuilt once (the new validation pages,
    the pages of the validated suites this process has not rendered yet, and the index).
    """
    gx = _import_gx()
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    site = _site(gx, data_docs_dir)
    for other in site_suites:
        site.register_suite(other)
    outputs: list[list[ExpectationResult]] = []
    to_render: list[Any] = []
    for run in runs:
        checkpoint, gx_suite = site.checkpoint_for(run.suite)
        frame = run.frame() if callable(run.frame) else run.frame
        outcome = checkpoint.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=run.parameters,
            run_id=RunIdentifier(run_name=safe_name(run.run_name)),
        )
        del frame
        ((result_id, suite_result),) = outcome.run_results.items()
        to_render.append(result_id)
        outputs.append(_results_in_file_order(run.suite, gx_suite, suite_result))
    validated = [run.suite["name"] for run in runs]
    to_render += [ExpectationSuiteIdentifier(name=n) for n in site.take_unrendered(validated)]
    with _site_lock(data_docs_dir):
        site.build_docs(to_render)
    return outputs


def _results_in_file_order(
    suite: dict[str, Any], gx_suite: Any, suite_result: Any
) -> list[ExpectationResult]:
    name = suite["name"]
    order = {exp.id: i for i, exp in enumerate(gx_suite.expectations)}
    by_position: dict[int, ExpectationResult] = {}
    for r in suite_result.results:
        data = r.to_json_dict()
        config = data["expectation_config"]
        kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
        by_position[order[r.expectation_config.id]] = ExpectationResult(
            type=config["type"],
            kwargs=kwargs,
            meta=config.get("meta") or {},
            success=bool(data["success"]),
            result=data.get("result") or {},
            exception=_exception_message(data.get("exception_info")),
        )
    if len(by_position) != len(suite["expectations"]):
        raise RuntimeError(
            f"suite {name}: {len(suite['expectations'])} expectations in the file but "
            f"{len(by_position)} results"
        )
    return [by_position[i] for i in sorted(by_position)]


class _Site:
    """One GX context per process and Data Docs folder, with what is registered in it.

    Building the context and adding the project's suites cost about a second per check; they
    are kept for the life of the process. A suite is (re)added only when its content changes
    (its checkpoint, validation definition and data asset then follow it).
    """

    def __init__(self, gx: Any, context: Any) -> None:
        self.gx = gx
        self.context = context
        self.datasource = context.data_sources.add_pandas(DATASOURCE)
        self._digests: dict[str, str] = {}
        self._checkpoints: dict[str, tuple[Any, Any]] = {}
        self._unrendered: set[str] = set()
        self._builder: Any = None

    def register_suite(self, spec: dict[str, Any]) -> Any:
        name = spec["name"]
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
        if self._digests.get(name) == digest:
            return None
        if name in self._checkpoints:
            self.context.checkpoints.delete(f"check_{name}")
            self.context.validation_definitions.delete(f"validate_{name}")
            self.datasource.delete_asset(name)
            del self._checkpoints[name]
        if name in self._digests:
            self.context.suites.delete(name)
        gx_suite = self.context.suites.add(_to_gx_suite(self.gx, spec))
        self._digests[name] = digest
        self._unrendered.add(name)
        return gx_suite

    def checkpoint_for(self, spec: dict[str, Any]) -> tuple[Any, Any]:
        """The checkpoint (no actions: Data Docs are built once per batch of runs) and suite."""
        gx, name = self.gx, spec["name"]
        added = self.register_suite(spec)
        if added is None and name in self._checkpoints:
            return self._checkpoints[name]
        gx_suite = added if added is not None else self.context.suites.get(name)
        batch = self.datasource.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe(
            "whole_frame"
        )
        validation = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate_{name}", data=batch, suite=gx_suite)
        )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=f"check_{name}",
                validation_definitions=[validation],
                actions=[],
                result_format="SUMMARY",
            )
        )
        self._checkpoints[name] = (checkpoint, gx_suite)
        return checkpoint, gx_suite

    def build_docs(self, resource_identifiers: list[Any]) -> None:
        """Render these resources and the index with one site builder kept for the process.

        ``context.build_data_docs`` makes a new site builder each call, whose Jinja views
        compile every template again (about a third of a Data Docs update); the kept builder
        reuses its compiled templates. GX's own builder, only instantiated once.
        """
        if self._builder is None:
            make = getattr(self.context, "_init_site_builder_for_data_docs_site_creation", None)
            if make is None:  # another GX version: the public, slower path
                self.context.build_data_docs(
                    site_names=[SITE_NAME], resource_identifiers=resource_identifiers
                )
                return
            self._builder = make(
                site_name=SITE_NAME, site_config=self.context.variables.data_docs_sites[SITE_NAME]
            )
        self._builder.build(resource_identifiers)

    def take_unrendered(self, names: Sequence[str]) -> list[str]:
        """Those of ``names`` whose suite page this process has not rendered since (re)adding."""
        pending = sorted(self._unrendered.intersection(names))
        self._unrendered.difference_update(pending)
        return pending


_SITES: dict[Path, _Site] = {}


def _site(gx: Any, data_docs_dir: Path) -> _Site:
    key = Path(data_docs_dir).resolve()
    if key not in _SITES:
        _SITES[key] = _Site(gx, _context(gx, data_docs_dir))
    return _SITES[key]


def _import_gx() -> Any:
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    for name, level in _NOISY_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch under this many bytes (an MD5 of
    # ``hash_pandas_object`` over every column: a fifth of the time of a large feed check).
    # The fingerprint only goes into the batch markers of the result, which nothing reads.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


def _context(gx: Any, data_docs_dir: Path) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    stores = dict(defaults.stores)
    stores[defaults.validation_results_store_name] = {
        "class_name": "CachingValidationResultsStore",
        "module_name": "expectations.gx_store",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(gx_state_dir(data_docs_dir) / "validation_results"),
        },
    }
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(data_docs_dir),
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": INDEX_RUNS_LIMIT,
        },
    }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites={SITE_NAME: site},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _to_gx_suite(gx: Any, spec: dict[str, Any]) -> Any:
    suite = gx.ExpectationSuite(
        name=spec["name"],
        expectations=spec["expectations"],
        meta=dict(spec.get("meta") or {}),
        notes=spec.get("notes"),
    )
    if len(suite.expectations) != len(spec["expectations"]):
        # GX drops an invalid expectation with a log line only: refuse a weakened suite.
        raise ValueError(
            f"suite {spec['name']}: GX accepted {len(suite.expectations)} of "
            f"{len(spec['expectations'])} expectations; check the types and kwargs in the file"
        )
    return suite


@contextlib.contextmanager
def _site_lock(data_docs_dir: Path) -> Iterator[None]:
    """Serialise Data Docs updates: parallel feed checks rewrite the same index.html."""
    state = gx_state_dir(data_docs_dir)
    state.mkdir(parents=True, exist_ok=True)
    with (state / "site.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _exception_message(info: Any) -> str | None:
    """GX gives either one exception dict or a dict of them keyed by metric."""
    if not isinstance(info, dict):
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = [
        str(e.get("exception_message"))
        for e in entries
        if isinstance(e, dict) and e.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages)) or None


def safe_name(text: str) -> str:
    """Run ids become file and folder names (results, site pages): keep them path/URL-safe."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "run"
