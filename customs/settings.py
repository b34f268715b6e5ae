"""One settings object, read from the environment once, passed to everything else.

Every piece of runtime state lives under ``CUSTOMS_HOME`` (default ``./.customs``), so a checkout
can be wiped with one ``rm -rf`` and two checkouts never share state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEV_PSEUDONYM_KEY = "development-only-pseudonym-key-do-not-use-in-production"
DEV_KEY_WARNING = (
    "CUSTOMS_PSEUDONYM_KEY is not set: personal identifiers are pseudonymised with the "
    "development key. Set a secret key before loading real data."
)


SECRET_PREFIX = "CUSTOMS_SECRET_"
"""Environment variables with this prefix are kept in ``Settings.secrets`` (source credentials)."""


@dataclass(frozen=True)
class Settings:
    home: Path
    source_dir: Path
    pseudonym_key: bytes = field(repr=False)
    pseudonym_key_is_default: bool
    sources_file: Path | None = None
    """The sources configuration (``CUSTOMS_SOURCES``); None: every feed reads the folder."""
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    """``CUSTOMS_SECRET_*`` environment variables (API tokens named in the sources file)."""
    standardized_uri: str | None = None
    """Optional object store copy of the checked standardised partitions
    (``CUSTOMS_STANDARDIZED_URI``, an fsspec URI: ``s3://bucket/customs/standardized``,
    ``file:///srv/lake/standardized``), laid out like ``standardized/`` for other engines."""
    hs_nomenclature: Path | None = None
    """Optional full HS6 list (``CUSTOMS_HS_NOMENCLATURE``, CSV with ``hscode`` and ``level``);
    without it the warehouse uses its built-in chapter table."""

    @property
    def state_dir(self) -> Path:
        """Pull state of the sources (API cursors), ``state/sources/<source>/<feed>/<day>.json``."""
        return self.home / "state"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def landing_dir(self) -> Path:
        """Raw files as received, named by content hash, never modified."""
        return self.home / "landing"

    @property
    def manifest_dir(self) -> Path:
        """One Parquet row per landed file (feed, interval, original name, sha256, size)."""
        return self.home / "landing" / "_manifest"

    @property
    def standardized_dir(self) -> Path:
        return self.home / "standardized"

    @property
    def rejects_dir(self) -> Path:
        return self.home / "rejects"

    @property
    def audit_dir(self) -> Path:
        """Parquet audit records (file loads, data-quality results) read by dbt's audit models."""
        return self.home / "audit"

    @property
    def reference_dir(self) -> Path:
        return self.home / "reference"

    @property
    def warehouse_path(self) -> Path:
        """The build file: only the pipeline writes it, one process at a time."""
        return self.home / "warehouse" / "build.duckdb"

    @property
    def intermediate_warehouse_path(self) -> Path:
        """The intermediate models of the build: a second DuckDB file beside the build file,
        attached by dbt (alias ``build_intermediate``), written by the same process and never
        published, so the snapshot copies only the marts, audit and staging views."""
        return self.warehouse_path.with_name("build_intermediate.duckdb")

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def published_path(self) -> Path:
        """The read-only snapshot analysts open."""
        return self.published_dir / "warehouse.duckdb"

    @property
    def data_docs_dir(self) -> Path:
        return self.home / "data_docs"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def dbt_docs_dir(self) -> Path:
        """The dbt docs static site for analysts (``index.html``, self-contained)."""
        return self.home / "dbt_docs"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.home / "dbt" / "logs"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def airflow_env(self, dags_folder: Path) -> dict[str, str]:
        """Environment for an Airflow that keeps its metadata DB and logs under CUSTOMS_HOME."""
        return {
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.airflow_home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.airflow_home / "logs"),
            "CUSTOMS_HOME": str(self.home),
            "CUSTOMS_SOURCE_DIR": str(self.source_dir),
            "GX_ANALYTICS_ENABLED": "False",
            **({"CUSTOMS_SOURCES": str(self.sources_file)} if self.sources_file else {}),
        }

    def dbt_env(self) -> dict[str, str]:
        """Environment variables the dbt project reads (see dbt_project/profiles.yml)."""
        return {
            "CUSTOMS_HOME": str(self.home),
            "CUSTOMS_WAREHOUSE": str(self.warehouse_path),
            "CUSTOMS_WAREHOUSE_INTERMEDIATE": str(self.intermediate_warehouse_path),
            "DBT_TARGET_PATH": str(self.dbt_target_dir),
            "DBT_LOG_PATH": str(self.dbt_log_dir),
        }


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    hs_file = env.get("CUSTOMS_HS_NOMENCLATURE")
    home = Path(env.get("CUSTOMS_HOME") or Path.cwd() / ".customs").expanduser().resolve()
    source_dir = Path(env.get("CUSTOMS_SOURCE_DIR") or home / "inbox").expanduser().resolve()
    key = env.get("CUSTOMS_PSEUDONYM_KEY", "")
    is_default = not key
    if is_default:
        key = DEV_PSEUDONYM_KEY
    sources = env.get("CUSTOMS_SOURCES")
    return Settings(
        home=home,
        source_dir=source_dir,
        pseudonym_key=key.encode("utf-8"),
        pseudonym_key_is_default=is_default,
        sources_file=Path(sources).expanduser().resolve() if sources else None,
        secrets={k: v for k, v in env.items() if k.startswith(SECRET_PREFIX)},
        hs_nomenclature=Path(hs_file).expanduser().resolve() if hs_file else None,
        standardized_uri=env.get("CUSTOMS_STANDARDIZED_URI") or None,
    )
