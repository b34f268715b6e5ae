"""Fixtures of the transforms tests: settings on tmp_path and a source-file writer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from transform_fixtures import DAY, KEY

from customs.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        source_dir=tmp_path / "src",
        pseudonym_key=KEY,
        pseudonym_key_is_default=False,
    )


@pytest.fixture
def deliver(settings: Settings):
    """Write a source file ``<source_dir>/<feed>/<day>/<name>`` and return its path."""

    def _deliver(name: str, data: bytes, feed: str = "orders", day: date = DAY) -> Path:
        path = settings.source_dir / feed / day.isoformat() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return _deliver
