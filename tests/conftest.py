"""Session-wide setup: a throw-away CUSTOMS_HOME, set before anything imports Airflow.

Airflow reads its configuration once, at import, so the whole test session shares one Airflow
home (and SQLite metadata DB) under a temporary CUSTOMS_HOME. Tests that only need files take
their own `Settings` on `tmp_path` instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="customs-test-home-"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ["CUSTOMS_HOME"] = str(_SESSION_HOME)
    os.environ["CUSTOMS_PSEUDONYM_KEY"] = "test-suite-key"
    os.environ.pop("CUSTOMS_SOURCE_DIR", None)
    from customs.airflow_local import configure_environment
    from customs.settings import load_settings

    configure_environment(load_settings())


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def session_settings():
    from customs.settings import load_settings

    return load_settings()
