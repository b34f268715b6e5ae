"""The Spark parity test runs only when tests/spark is asked for (`make test-spark`).

It starts a JVM and builds the marts twice (minutes on two cores), and it needs the optional
`spark` extra (dbt-spark, pyspark), which `make test` does not install: a plain `pytest` over
the whole suite leaves this folder out instead of failing on a missing package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: builds the dbt project on Apache Spark (slow)")


def _asked_for(config: pytest.Config) -> bool:
    for arg in config.args:
        path = Path(str(arg).split("::", 1)[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name.startswith("test_") and not _asked_for(config):
        return True
    return None
