"""Where the transforms write under ``CUSTOMS_HOME``, and how they write it safely.

The layout is the one of ``docs/architecture.md``::

    landing/<feed>/<YYYY-MM-DD>/<sha256>.<ext>[.gz]
    landing/_manifest/<feed>/date=<YYYY-MM-DD>/<sha256[:16]>.parquet
    standardized/<feed>/date=<YYYY-MM-DD>/<sha256[:16]>.parquet
    rejects/<feed>/date=<YYYY-MM-DD>/<sha256[:16]>.parquet
    audit/file_loads/<feed>/date=<YYYY-MM-DD>/<sha256[:16]>.parquet

Readers (dbt, Great Expectations) glob these folders, so nothing half-written may ever be visible
under a name they match:

* single files are written under a hidden temporary name beside the target, then renamed
  (``os.replace`` is atomic on one filesystem);
* a whole ``date=<day>`` partition is built in a staging folder under ``CUSTOMS_HOME/tmp/``
  (outside every globbed tree, same filesystem) and swapped in with two renames, so a re-run of
  an interval replaces its partition as a whole and never leaves stale files behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl

from customs.settings import Settings
from transforms.schemas import (
    FEED_NAMES,
    FEEDS,
    FILE_LOADS_SCHEMA,
    MANIFEST_SCHEMA,
    REJECTS_SCHEMA,
)

SCHEMA_FILE = "_schema.parquet"

_SCHEMA_FILES_SEEN: dict[Path, tuple[int, int, pl.Schema]] = {}
"""Schema files this process has written or checked: (mtime_ns, size) then, and their schema.
A file still unchanged is not read again (each standardisation call checks all twenty)."""


def load_id(feed: str, interval: date, sha256: str) -> str:
    """``<feed>:<YYYY-MM-DD>:<sha256[:16]>``: one load of one file for one data interval."""
    return f"{feed}:{interval.isoformat()}:{sha256[:16]}"


def partition_name(interval: date) -> str:
    return f"date={interval.isoformat()}"


def file_stem(sha256: str) -> str:
    """Files inside partition folders are named by the first 16 hex digits of the content hash."""
    return sha256[:16]


def manifest_feed_dir(settings: Settings, feed: str) -> Path:
    return settings.manifest_dir / feed


def standardized_feed_dir(settings: Settings, feed: str) -> Path:
    return settings.standardized_dir / feed


def rejects_feed_dir(settings: Settings, feed: str) -> Path:
    return settings.rejects_dir / feed


def file_loads_feed_dir(settings: Settings, feed: str) -> Path:
    return settings.audit_dir / "file_loads" / feed


def landing_day_dir(settings: Settings, feed: str, interval: date) -> Path:
    return settings.landing_dir / feed / interval.isoformat()


def landed_name(sha256: str, fmt: str, gzipped: bool) -> str:
    """``<sha256>.<ext>[.gz]``: the name of a landed file (content-addressed)."""
    return f"{sha256}.{fmt}{'.gz' if gzipped else ''}"


def tmp_dir(settings: Settings) -> Path:
    """Staging area for partitions being built: same filesystem, outside every globbed tree."""
    return settings.home / "tmp"


def _schema_frame(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def ensure_schema_files(settings: Settings) -> None:
    """Write a zero-row ``_schema.parquet`` in every folder that dbt reads with a glob.

    A feed that has not delivered anything yet then reads as an empty table with the right
    columns and types instead of failing the build. Existing files are rewritten only when their
    schema differs (so a contract change propagates, and a normal run touches nothing).
    """
    targets: list[tuple[Path, dict[str, pl.DataType]]] = []
    for feed in FEED_NAMES:
        targets.append((standardized_feed_dir(settings, feed), FEEDS[feed].standardized_schema))
        targets.append((rejects_feed_dir(settings, feed), REJECTS_SCHEMA))
        targets.append((file_loads_feed_dir(settings, feed), FILE_LOADS_SCHEMA))
        targets.append((manifest_feed_dir(settings, feed), MANIFEST_SCHEMA))
    for folder, schema in targets:
        path = folder / SCHEMA_FILE
        wanted = pl.Schema(schema)
        try:
            stat = path.stat()
        except FileNotFoundError:
            stat = None
        if stat is not None:
            seen = _SCHEMA_FILES_SEEN.get(path)
            if seen == (stat.st_mtime_ns, stat.st_size, wanted):
                continue
            try:
                if pl.read_parquet_schema(path) == wanted:
                    _SCHEMA_FILES_SEEN[path] = (stat.st_mtime_ns, stat.st_size, wanted)
                    continue
            except Exception:  # unreadable: rewrite it
                pass
        write_parquet_atomic(_schema_frame(schema), path)
        stat = path.stat()
        _SCHEMA_FILES_SEEN[path] = (stat.st_mtime_ns, stat.st_size, wanted)


def _hidden_tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def write_parquet_atomic(df: pl.DataFrame, target: Path) -> None:
    """Write ``df`` to ``target`` under a hidden temporary name, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _hidden_tmp_name(target)
    try:
        df.write_parquet(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def feed_lock(settings: Settings, area: str, feed: str) -> Iterator[None]:
    """An exclusive advisory lock per (area, feed), held while a task changes that feed's state.

    Two Airflow tasks for different intervals of the same feed may run at once; the lock keeps
    their reads of the manifest (duplicate detection) and their partition swaps serialised.
    """
    lock_dir = tmp_dir(settings) / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{area}-{feed}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class PartitionStage:
    """Builds new ``date=<day>`` partitions for several feed folders and swaps them in together.

    Usage::

        with PartitionStage(settings) as stage:
            out = stage.folder(standardized_feed_dir(settings, feed), interval)
            ...write files into out...
            stage.commit()

    Without ``commit()`` (an exception), the staging folder is removed and the live partitions
    stay as they were.
    """

    def __init__(self, settings: Settings) -> None:
        self._root = tmp_dir(settings) / f"stage-{uuid.uuid4().hex}"
        self._targets: list[tuple[Path, Path]] = []  # (staged folder, live partition folder)

    def __enter__(self) -> PartitionStage:
        self._root.mkdir(parents=True, exist_ok=False)
        return self

    def folder(self, feed_dir: Path, interval: date) -> Path:
        """The staging folder whose contents will become ``feed_dir/date=<interval>``."""
        staged = self._root / str(len(self._targets)) / partition_name(interval)
        staged.mkdir(parents=True)
        self._targets.append((staged, feed_dir / partition_name(interval)))
        return staged

    def commit(self) -> None:
        trash = self._root / "replaced"
        trash.mkdir()
        for i, (staged, live) in enumerate(self._targets):
            live.parent.mkdir(parents=True, exist_ok=True)
            if live.exists():
                os.rename(live, trash / str(i))
            os.rename(staged, live)

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._root, ignore_errors=True)


def quarantine_feed_dir(settings: Settings, feed: str) -> Path:
    """``CUSTOMS_HOME/quarantine/<feed>``: partitions that failed a critical check (not globbed
    by dbt, so the marts never read them)."""
    return settings.home / "quarantine" / feed


def quarantine_partition(settings: Settings, feed: str, interval: date) -> Path | None:
    """Move the feed's standardised ``date=<interval>`` partition to the quarantine.

    The target ``quarantine/<feed>/date=<interval>`` is replaced if an earlier failed run left
    one. Returns the quarantined folder, or None when there was no partition to move. Rerunning
    the day (after fixing the source) standardises it afresh into ``standardized/``.
    """
    live = standardized_feed_dir(settings, feed) / partition_name(interval)
    target = quarantine_feed_dir(settings, feed) / partition_name(interval)
    with feed_lock(settings, f"standardize-{interval.isoformat()}", feed):
        if not live.is_dir():
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            trash = tmp_dir(settings) / f"quarantine-replaced-{uuid.uuid4().hex}"
            trash.parent.mkdir(parents=True, exist_ok=True)
            os.rename(target, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.rename(live, target)
    return target


def quarantined_partition(settings: Settings, feed: str, interval: date) -> Path | None:
    """The quarantined folder of the feed-day, if there is one."""
    target = quarantine_feed_dir(settings, feed) / partition_name(interval)
    return target if target.is_dir() else None


def release_quarantine(settings: Settings, feed: str, interval: date) -> bool:
    """Delete the quarantined copy of the feed-day (its rerun passed the checks): True if any."""
    target = quarantined_partition(settings, feed, interval)
    if target is None:
        return False
    shutil.rmtree(target)
    return True


# --- object store copy of the standardised partitions ------------------------------------------


def object_store_partition(settings: Settings, feed: str, interval: date) -> str | None:
    """``<CUSTOMS_STANDARDIZED_URI>/<feed>/date=<day>``, or None when no URI is configured."""
    if not settings.standardized_uri:
        return None
    return f"{settings.standardized_uri.rstrip('/')}/{feed}/{partition_name(interval)}"


def publish_partition(settings: Settings, feed: str, interval: date) -> str | None:
    """Copy the feed-day's standardised partition to the object store; return its URI.

    The layout is the local one (``<feed>/date=<day>/<sha256[:16]>.parquet`` and a zero-row
    ``<feed>/_schema.parquet``), so an engine (DuckDB, Spark, Trino) reads
    ``<uri>/<feed>/*/*.parquet`` with Hive partitioning on ``date``. Object stores have no
    atomic folder rename, so the copy is made safe by naming instead: each file is uploaded
    under a hidden ``.<name>.tmp`` name (engines skip names starting with ``.`` or ``_``) and
    then moved to its final name; file names are content hashes, so a rerun rewrites the same
    names with the same rows; files of the partition not in the new set are deleted last.
    """
    target = object_store_partition(settings, feed, interval)
    if target is None:
        return None
    import fsspec

    fs, root = fsspec.core.url_to_fs(target)
    local = standardized_feed_dir(settings, feed) / partition_name(interval)
    names = sorted(p.name for p in local.glob("[!._]*.parquet"))
    fs.makedirs(root, exist_ok=True)
    schema_file = standardized_feed_dir(settings, feed) / SCHEMA_FILE
    feed_root = root.rsplit("/", 1)[0]
    if schema_file.exists() and not fs.exists(f"{feed_root}/{SCHEMA_FILE}"):
        fs.put_file(str(schema_file), f"{feed_root}/{SCHEMA_FILE}")
    for name in names:
        hidden = f"{root}/.{name}.tmp"
        fs.put_file(str(local / name), hidden)
        fs.mv(hidden, f"{root}/{name}")
    for existing in fs.ls(root, detail=False):
        if existing.rstrip("/").rsplit("/", 1)[-1] not in names:
            fs.rm(existing, recursive=True)
    return target


def unpublish_partition(settings: Settings, feed: str, interval: date) -> bool:
    """Delete the feed-day's partition from the object store (it was quarantined): True if any."""
    target = object_store_partition(settings, feed, interval)
    if target is None:
        return False
    import fsspec

    fs, root = fsspec.core.url_to_fs(target)
    if not fs.exists(root):
        return False
    fs.rm(root, recursive=True)
    return True
