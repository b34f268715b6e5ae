"""Run one suite on one pandas frame through a Great Expectations Checkpoint.

Great Expectations is imported inside ``run_suite`` (4-8 s), never at module level, so DAG files
and the CLI stay light. The context is ephemeral (nothing is written into the repository) but its
Data Docs site is ``settings.data_docs_dir``. Validation results are kept as JSON under
``<data_docs_dir>/.gx/validation_results``: GX's index builder deletes every page whose result is
not in the context's store, so an in-memory store would leave only the latest run in the site.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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
    gx = _import_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context(gx, data_docs_dir)
    name = suite["name"]
    gx_suite = context.suites.add(_to_gx_suite(gx, suite))
    for other in site_suites:
        if other["name"] != name:
            context.suites.add(_to_gx_suite(gx, other))
    batch = (
        context.data_sources.add_pandas(DATASOURCE)
        .add_dataframe_asset(name=name)
        .add_batch_definition_whole_dataframe("whole_frame")
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"validate_{name}", data=batch, suite=gx_suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"check_{name}",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[SITE_NAME])],
            result_format="SUMMARY",
        )
    )
    with _site_lock(data_docs_dir):
        outcome = checkpoint.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            run_id=RunIdentifier(run_name=safe_name(run_name)),
        )
    (suite_result,) = outcome.run_results.values()
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


def _import_gx() -> Any:
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    for name, level in _NOISY_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    import great_expectations as gx

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
        "class_name": "ValidationResultsStore",
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
