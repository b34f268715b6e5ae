"""Landing: copy a day's source files into ``landing/``, named by content hash, with a manifest.

Source layout (DESIGN.md): ``<source_dir>/<feed>/<YYYY-MM-DD>/<any name>.<ext>[.gz]`` where
``<ext>`` is one of ``csv``, ``jsonl``, ``json``, ``parquet``, ``xml`` or any format with a
registered reader; the date is the data interval the file belongs to.

For every file of the day, :func:`land_interval`:

* hashes it (SHA-256) and copies it byte for byte to
  ``landing/<feed>/<YYYY-MM-DD>/<sha256>.<ext>[.gz]`` (a hidden temporary name, then a rename:
  never partially visible; landed files are never modified afterwards);
* writes its manifest row to ``landing/_manifest/<feed>/date=<day>/<sha256[:16]>.parquet``
  (``MANIFEST_SCHEMA``);
* recognises a re-delivery: a file whose content was already landed for this feed (another day,
  or another name) is recorded with ``is_duplicate`` and ``duplicate_of`` (the original's
  ``load_id``) and is not copied or loaded again.

Landing the same interval again is idempotent: manifest rows of files already landed are kept as
they are (same ``received_at``). The day's manifest follows the source folder: a file replaced
under the same name gets a new row (its old bytes stay in ``landing/`` but are no longer loaded),
a file removed from the source folder loses its row; so "fix the file and rerun the day" works.
Hidden files (``.name``) and files whose extension has no format are skipped (the latter with a
warning). A missing day folder is not an error (no files that day).
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from customs.settings import Settings
from transforms.readers import landable_formats, split_format
from transforms.schemas import FEEDS, MANIFEST_SCHEMA
from transforms.storage import (
    ensure_schema_files,
    feed_lock,
    file_stem,
    landed_name,
    landing_day_dir,
    load_id,
    manifest_feed_dir,
    partition_name,
    write_parquet_atomic,
)

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LandedFile:
    feed: str
    interval: date
    source_file: str
    """Path relative to the source folder, as delivered (``orders/2026-09-01/orders.csv``)."""
    sha256: str
    size: int
    landed_path: Path
    """Where the bytes are under ``landing/`` (for a duplicate: the original's copy)."""
    load_id: str
    is_duplicate: bool
    duplicate_of: str | None
    """For a duplicate: the ``load_id`` of the landing that holds the same content."""


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_verified(src: Path, target: Path, sha256: str) -> None:
    """Copy ``src`` to ``target`` via a hidden temporary file; check the copy's hash first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    digest = hashlib.sha256()
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            while chunk := fin.read(_CHUNK):
                digest.update(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        if digest.hexdigest() != sha256:
            raise OSError(f"{src} changed while it was being landed; land the interval again")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _day_manifest_dir(settings: Settings, feed: str, interval: date) -> Path:
    return manifest_feed_dir(settings, feed) / partition_name(interval)


def _read_manifest(path: Path) -> pl.DataFrame:
    frame = pl.read_parquet(path)
    if "source" not in frame.columns:  # written before sources were configurable
        frame = frame.with_columns(pl.lit(FOLDER_SOURCE).alias("source"))
    return frame.select(list(MANIFEST_SCHEMA)).cast(MANIFEST_SCHEMA)  # type: ignore[arg-type]


def _manifest_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("[!._]*.parquet")) if folder.is_dir() else []


def _original_elsewhere(settings: Settings, feed: str, sha256: str, interval: date) -> dict | None:
    """The manifest row of the landing (not a duplicate) of this content on another day."""
    skip = partition_name(interval)
    candidates = manifest_feed_dir(settings, feed).glob(f"date=*/{file_stem(sha256)}.parquet")
    for path in sorted(candidates):
        if path.parent.name == skip:
            continue
        rows = _read_manifest(path).filter((pl.col("sha256") == sha256) & ~pl.col("is_duplicate"))
        if rows.height:
            return rows.row(0, named=True)
    return None


def _landed_file(settings: Settings, row: dict, original: dict | None) -> LandedFile:
    """The :class:`LandedFile` of a manifest row; a duplicate points at the original's bytes."""
    holder = original if row["is_duplicate"] and original is not None else row
    fmt, gz = split_format(holder["original_name"])
    return LandedFile(
        feed=row["feed"],
        interval=row["data_interval"],
        source_file=row["source_file"],
        sha256=row["sha256"],
        size=row["size_bytes"],
        landed_path=landing_day_dir(settings, row["feed"], holder["data_interval"])
        / landed_name(row["sha256"], fmt, gz),
        load_id=row["load_id"],
        is_duplicate=row["is_duplicate"],
        duplicate_of=row["duplicate_of"],
    )


def _source_files(day_dir: Path) -> list[Path]:
    formats = landable_formats()
    files = []
    for path in sorted(day_dir.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        fmt, _ = split_format(path.name)
        if fmt not in formats:
            log.warning("skipping %s: no known format for this extension", path)
            continue
        files.append(path)
    return files


@dataclass(frozen=True)
class Delivery:
    """One file received from a source, waiting in a local file to be landed."""

    path: Path
    """Where its bytes are now (the source folder, or a temporary download)."""
    source_file: str
    """Where it came from, as recorded in the manifest and the lineage."""
    sha256: str
    size: int
    original_name: str = ""
    """Its name at the source (default: ``path``'s name); its format comes from it."""

    @property
    def name(self) -> str:
        return self.original_name or self.path.name

    @classmethod
    def of(cls, path: Path, source_file: str, original_name: str = "") -> Delivery:
        sha256, size = file_sha256(path)
        return cls(path, source_file, sha256, size, original_name)


FOLDER_SOURCE = "folder"
"""Source name of the default local folder (``CUSTOMS_SOURCE_DIR`` / ``--landing``)."""


def land_interval(
    settings: Settings,
    feed: str,
    interval: date,
    source_dir: Path,
    *,
    source: str = FOLDER_SOURCE,
    feed_dir: str | None = None,
) -> list[LandedFile]:
    """Land the files of ``<source_dir>/<feed>/<YYYY-MM-DD>/`` (see the module docstring).

    Returns one :class:`LandedFile` per source file (duplicates included, flagged), in name
    order; an empty list when the day folder does not exist.

    The day's manifest rows of this ``source`` then describe exactly the files now in the
    source folder: rows of files landed before with the same content are kept as they were; a
    file whose content changed under the same name gets a new row (its earlier bytes stay in
    ``landing/``, no longer loaded); the row of a file no longer in the source folder is
    dropped. ``feed_dir`` is the feed's folder name in this source when it differs from the
    feed name. Rows of other sources of the feed are left alone.
    """
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r} (known: {', '.join(FEEDS)})")
    source_dir = Path(source_dir)
    day_dir = source_dir / (feed_dir or feed) / interval.isoformat()
    if not day_dir.is_dir():
        log.info("%s %s: no source folder %s, nothing to land", feed, interval, day_dir)
        if source != FOLDER_SOURCE or feed_dir:
            return land_deliveries(settings, feed, interval, [], source=source)
        return []
    prefix = "" if source == FOLDER_SOURCE else f"{source}:"
    delivered = [
        Delivery.of(path, prefix + path.relative_to(source_dir).as_posix())
        for path in _source_files(day_dir)
    ]
    return land_deliveries(settings, feed, interval, delivered, source=source)


def land_deliveries(
    settings: Settings,
    feed: str,
    interval: date,
    delivered: list[Delivery],
    *,
    source: str = FOLDER_SOURCE,
    replace: bool = True,
) -> list[LandedFile]:
    """Land files received from any source (folder, HTTP API, object store) for ``interval``.

    Each file's bytes are copied unchanged to ``landing/`` under their hash (temporary name,
    fsync, rename) unless that content is already there; a manifest row records feed, source,
    interval, original name, sha256, size and time received. Content landed before for this
    feed (any day, any source) is recorded as a duplicate and not loaded again.

    ``replace=True`` (a listing: folder, object store): this source's rows of the day become
    exactly ``delivered``. ``replace=False`` (an API pull, page by page): ``delivered`` is added
    to this source's rows of the day (a page received again is recognised, not repeated).
    """
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r} (known: {', '.join(FEEDS)})")
    ensure_schema_files(settings)
    with feed_lock(settings, "land", feed):
        rows, originals = _manifest_rows(settings, feed, interval, delivered, source, replace)
        _write_day_manifest(settings, feed, interval, rows)
    mine = {(d.source_file, d.sha256) for d in delivered}
    landed = [
        _landed_file(settings, row, originals.get(row["sha256"]))
        for row in rows
        if (row["source_file"], row["sha256"]) in mine
    ]
    log.info(
        "%s %s from %s: landed %d files (%d duplicates)",
        feed,
        interval,
        source,
        len(landed),
        sum(f.is_duplicate for f in landed),
    )
    return landed


def _manifest_rows(
    settings: Settings,
    feed: str,
    interval: date,
    delivered: list[Delivery],
    source: str,
    replace: bool,
) -> tuple[list[dict], dict[str, dict]]:
    """The day's manifest rows (other sources' rows, then this source's, in delivery order)
    and, per content hash, the row of its original landing. Copies new content into
    ``landing/``."""
    folder = _day_manifest_dir(settings, feed, interval)
    previous: dict[tuple[str, str], dict] = {}
    others: list[dict] = []
    for path in _manifest_files(folder):
        for row in _read_manifest(path).iter_rows(named=True):
            if row["source"] == source:
                previous[(row["source_file"], row["sha256"])] = row
            else:
                others.append(row)

    # Files landed before as originals stay the originals (stable across re-landings).
    originals: dict[str, dict] = {}
    for row in others:
        if not row["is_duplicate"]:
            originals.setdefault(row["sha256"], row)
    for d in delivered:
        prev = previous.get((d.source_file, d.sha256))
        if prev is not None and not prev["is_duplicate"]:
            originals.setdefault(d.sha256, prev)

    kept: list[dict] = []
    if not replace:  # an API pull adds to what earlier pulls of the day landed
        again = {(d.source_file, d.sha256) for d in delivered}
        kept = [row for k, row in previous.items() if k not in again]
        for row in kept:
            if not row["is_duplicate"]:
                originals.setdefault(row["sha256"], row)
    elsewhere: dict[str, dict] = {}  # originals landed on other days
    rows: list[dict] = [*others, *kept]
    for d in delivered:
        prev = previous.get((d.source_file, d.sha256))
        if prev is not None and originals.get(d.sha256) is prev:
            rows.append(prev)
            continue
        original = originals.get(d.sha256) or elsewhere.get(d.sha256)
        if original is None:
            original = _original_elsewhere(settings, feed, d.sha256, interval)
            if original is not None:
                elsewhere[d.sha256] = original
        same_duplicate = (
            prev is not None
            and original is not None
            and prev["is_duplicate"]
            and prev["duplicate_of"] == original["load_id"]
        )
        if same_duplicate:
            rows.append(prev)  # the same duplicate as before
            continue
        if original is None:
            fmt, gz = split_format(d.name)
            target = landing_day_dir(settings, feed, interval) / landed_name(d.sha256, fmt, gz)
            if not (target.exists() and target.stat().st_size == d.size):
                _copy_verified(d.path, target, d.sha256)
        else:
            log.warning(
                "%s: same content as %s (%s), recorded as a duplicate and not loaded again",
                d.source_file,
                original["source_file"],
                original["load_id"],
            )
        row = {
            "feed": feed,
            "source": source,
            "data_interval": interval,
            "source_file": d.source_file,
            "original_name": d.name,
            "sha256": d.sha256,
            "size_bytes": d.size,
            "received_at": datetime.now(UTC),
            "load_id": load_id(feed, interval, d.sha256),
            "is_duplicate": original is not None,
            "duplicate_of": original["load_id"] if original is not None else None,
        }
        if original is None:
            originals[d.sha256] = row
        rows.append(row)
    return rows, {**elsewhere, **originals}


def _write_day_manifest(settings: Settings, feed: str, interval: date, rows: list[dict]) -> None:
    """Write the day's manifest files (one per content hash), leaving unchanged ones alone and
    removing those of content no longer delivered."""
    folder = _day_manifest_dir(settings, feed, interval)
    by_stem: dict[str, list[dict]] = {}
    for row in rows:
        by_stem.setdefault(file_stem(row["sha256"]), []).append(row)
    for stem, group in by_stem.items():
        path = folder / f"{stem}.parquet"
        frame = pl.DataFrame(group, schema=MANIFEST_SCHEMA)
        if not (path.exists() and _read_manifest(path).equals(frame)):
            write_parquet_atomic(frame, path)
    for path in _manifest_files(folder):
        if path.stem not in by_stem:
            gone = ", ".join(_read_manifest(path)["source_file"])
            log.warning("%s: no longer in the source folder, dropped from the manifest", gone)
            path.unlink()
