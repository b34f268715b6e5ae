"""The sources configuration: which sources feed each feed (a YAML file, ``CUSTOMS_SOURCES``).

```yaml
orders:                         # a feed name
  - name: inbox                 # the default local folder (CUSTOMS_SOURCE_DIR / --landing)
    type: folder
  - name: dragonmart-api
    type: http
    url: http://127.0.0.1:8765/orders
    format: orderapi.json       # the reader of every page
    params: {date: "{day}"}     # {day} is the data interval, YYYY-MM-DD
    pagination: {style: cursor, param: cursor, field: next_cursor}   # or {style: page, param: page}
    items: orders               # the array counted to stop page-style pagination
    auth: {token_env: CUSTOMS_SECRET_DRAGONMART_TOKEN}               # or {airflow_conn: conn_id}
    retries: {attempts: 6, initial_wait: 0.5, max_wait: 30}
    timeout: 10
    max_pages: 10000
  - name: partner-bucket
    type: fsspec
    url: s3://partner-exports/customs     # <url>/<feed dir>/<YYYY-MM-DD>/<file>
    storage_options: {anon: false}
    feed_dir: orders_export               # the feed's folder name there (default: the feed)
```

A feed absent from the file (or no file at all) reads the default folder only. ``folder``
sources may set ``path`` (default: the run's source folder) and ``feed_dir``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customs.settings import Settings

SOURCE_TYPES = ("folder", "http", "fsspec")
DEFAULT_SOURCE = "folder"


class SourceConfigError(ValueError):
    """The sources file is not valid; the message names the feed, source and field."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    type: str
    feed: str
    options: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


def default_sources(feed: str) -> list[SourceConfig]:
    return [SourceConfig(name=DEFAULT_SOURCE, type="folder", feed=feed)]


def parse_sources(document: Any, feeds: tuple[str, ...]) -> dict[str, list[SourceConfig]]:
    """Validate a parsed sources document: feed → its sources (every feed present)."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise SourceConfigError("the sources file must map feed names to lists of sources")
    out: dict[str, list[SourceConfig]] = {f: default_sources(f) for f in feeds}
    for feed, entries in document.items():
        if feed not in feeds:
            raise SourceConfigError(f"unknown feed {feed!r} (known: {', '.join(feeds)})")
        if not isinstance(entries, list) or not entries:
            raise SourceConfigError(f"{feed}: expected a non-empty list of sources")
        sources, names = [], set()
        for i, entry in enumerate(entries):
            where = f"{feed}[{i}]"
            if not isinstance(entry, dict):
                raise SourceConfigError(f"{where}: a source is a mapping")
            kind = entry.get("type", "folder")
            if kind not in SOURCE_TYPES:
                raise SourceConfigError(f"{where}: type {kind!r} not in {SOURCE_TYPES}")
            name = str(entry.get("name") or (DEFAULT_SOURCE if kind == "folder" else ""))
            if not name or ":" in name or "/" in name:
                raise SourceConfigError(f"{where}: a name without ':' or '/' is required")
            if name in names:
                raise SourceConfigError(f"{where}: duplicate source name {name!r}")
            names.add(name)
            if kind in ("http", "fsspec") and not entry.get("url"):
                raise SourceConfigError(f"{where} ({name}): 'url' is required")
            if kind == "http" and not entry.get("format"):
                raise SourceConfigError(f"{where} ({name}): 'format' is required for http")
            options = {k: v for k, v in entry.items() if k not in ("name", "type")}
            sources.append(SourceConfig(name=name, type=kind, feed=feed, options=options))
        out[feed] = sources
    return out


def load_sources(settings: Settings) -> dict[str, list[SourceConfig]]:
    """The configured sources of every feed (defaults when ``settings.sources_file`` is None)."""
    import yaml

    from customs.assets import FEED_NAMES

    if settings.sources_file is None:
        return {f: default_sources(f) for f in FEED_NAMES}
    path = Path(settings.sources_file)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourceConfigError(f"cannot read the sources file {path}: {exc}") from exc
    try:
        return parse_sources(document, FEED_NAMES)
    except SourceConfigError as exc:
        raise SourceConfigError(f"{path}: {exc}") from None
