"""An Airflow that lives under CUSTOMS_HOME: environment, metadata DB, pools, DAG loading.

`customs run` and the tests use it to run the real DAGs in-process with `dag.test()` (no
scheduler or API server needed); `make airflow` uses the same environment for a full scheduler.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from customs.assets import DUCKDB_WRITER_POOL
from customs.settings import Settings

DAGS_FOLDER = Path(__file__).resolve().parents[1] / "dags"


def configure_environment(settings: Settings) -> None:
    """Point this process (and the Airflow it imports afterwards) at CUSTOMS_HOME.

    Must run before the first `import airflow`: Airflow reads its configuration at import time.
    """
    if "airflow.settings" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(
        settings.airflow_home
    ):
        raise RuntimeError(
            "Airflow was imported before its environment was set; "
            "call configure_environment() first"
        )
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    os.environ.update(settings.airflow_env(DAGS_FOLDER))


def ensure_metadata_db(settings: Settings) -> bool:
    """Create or migrate the SQLite metadata DB once per Airflow version. Returns True if it ran."""
    from importlib.metadata import version

    stamp = settings.airflow_home / f".migrated-{version('apache-airflow')}"
    if stamp.exists():
        return False
    airflow_bin = Path(sys.executable).with_name("airflow")
    proc = subprocess.run(
        [str(airflow_bin), "db", "migrate"],
        env={**os.environ, **settings.airflow_env(DAGS_FOLDER)},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"airflow db migrate failed:\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}"
        )
    stamp.touch()
    return True


def ensure_pools() -> None:
    from airflow.models.pool import Pool

    Pool.create_or_update_pool(
        name=DUCKDB_WRITER_POOL,
        slots=1,
        description="DuckDB takes one writing process per database file",
        include_deferred=False,
    )


def load_dags() -> dict:
    """Import every DAG file; fail with the import errors if any file is broken."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        details = "\n".join(f"{path}: {err}" for path, err in bag.import_errors.items())
        raise RuntimeError(f"DAG files failed to import:\n{details}")
    return dict(bag.dags)


DEMO_API_CONN_ID = "customs_demo_order_api"
"""The demo order API (`customs serve-sample`), for sources with ``auth: {airflow_conn: ...}``."""


def ensure_sample_sources(settings: Settings) -> None:
    """Connections for the sample sources: the demo order API on 127.0.0.1:8765 with its token.

    The token is ``CUSTOMS_SECRET_DEMO_API_TOKEN`` when set, else the demo's own token. An
    existing connection is left as it is (a user may have edited it in the UI).
    """
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    token = settings.secrets.get("CUSTOMS_SECRET_DEMO_API_TOKEN", "demo-only-token")
    with create_session() as session:
        exists = session.query(Connection).filter(Connection.conn_id == DEMO_API_CONN_ID).first()
        if exists is None:
            session.add(
                Connection(
                    conn_id=DEMO_API_CONN_ID,
                    conn_type="http",
                    host="127.0.0.1",
                    port=8765,
                    password=token,
                    description="Demo order API served by `customs serve-sample` (make demo)",
                )
            )
