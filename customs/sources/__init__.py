"""Sources: where each feed's files come from (a folder, an HTTP API, an object store).

``pull_interval(settings, feed, interval, source_dir)`` pulls one data interval of a feed from
every source configured for it (``customs.sources.config``) and lands what it receives through
``transforms.landing``: bytes unchanged, by content hash, with a manifest row naming the source.
A source that fails does not stop the others; the call raises at the end, naming each failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from customs.settings import Settings
from customs.sources.config import SourceConfig, SourceConfigError, load_sources

log = logging.getLogger(__name__)


class SourcePullError(RuntimeError):
    """One or more sources of a feed failed (the others were landed)."""


@dataclass
class PullResult:
    feed: str
    interval: date
    landed: list = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def pull_source(
    settings: Settings, src: SourceConfig, feed: str, interval: date, source_dir: Path
) -> list:
    from transforms.landing import land_interval

    if src.type == "folder":
        folder = Path(src.get("path") or source_dir)
        return land_interval(
            settings, feed, interval, folder, source=src.name, feed_dir=src.get("feed_dir")
        )
    if src.type == "http":
        from customs.sources.http_api import pull_http

        return pull_http(settings, src, feed, interval)
    if src.type == "fsspec":
        from customs.sources.object_store import pull_fsspec

        return pull_fsspec(settings, src, feed, interval)
    raise SourceConfigError(f"unknown source type {src.type!r}")


def pull_interval(settings: Settings, feed: str, interval: date, source_dir: Path) -> PullResult:
    """Pull and land ``interval`` of ``feed`` from each of its sources (see the module doc)."""
    result = PullResult(feed=feed, interval=interval)
    for src in load_sources(settings)[feed]:
        try:
            landed = pull_source(settings, src, feed, interval, source_dir)
        except Exception as exc:
            log.exception("%s %s: source %s failed", feed, interval, src.name)
            result.errors.append(f"{src.name}: {type(exc).__name__}: {exc}")
            continue
        result.landed += landed
        result.by_source[src.name] = len(landed)
    return result


__all__ = [
    "PullResult",
    "SourceConfig",
    "SourceConfigError",
    "SourcePullError",
    "load_sources",
    "pull_interval",
    "pull_source",
]
