"""Standardisation one landed file at a time, then one partition swap per feed-day.

The daily DAG maps :func:`standardize_landed_file` over every landed file of the day (files of
all feeds, in parallel on a real executor), then runs :func:`commit_feed_day` once per feed:

1. :func:`landed_files` lists the day's files to load from the landing manifest (no duplicates,
   one per content hash), as small JSON-able references (Airflow passes them through XCom);
2. :func:`standardize_landed_file` loads one file with the same code as
   :func:`transforms.standardize.standardize_interval` (read, contract, standardise, split good
   rows from rejects, reconcile ``rows_read = standardised + rejected``) into its own staging
   folder ``CUSTOMS_HOME/tmp/files/<feed>/date=<day>/<sha256[:16]>-<uuid>/``, outside every
   globbed tree, so nothing is visible yet;
3. :func:`commit_feed_day` moves every file's outputs into one :class:`PartitionStage` and swaps
   the feed's ``date=<day>`` partitions of ``standardized/``, ``rejects/`` and
   ``audit/file_loads/`` in at once (the same atomic swap and per-feed lock as before). A file of
   the manifest with no staged output (a commit retried after its staging was consumed, or a
   file landed since) is standardised there and then, so the partition always holds exactly the
   day's manifest: a late file reprocesses only its day.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import asdict
from datetime import date
from pathlib import Path

from customs.settings import Settings
from transforms.schemas import FEEDS
from transforms.standardize import (
    FeedLoadSummary,
    _FileResult,
    _manifest_entries,
    _ManifestEntry,
    _standardize_file,
    feed_day_partitions,
)
from transforms.storage import (
    file_stem,
    partition_name,
    tmp_dir,
)

AREAS = ("standardized", "rejects", "file_loads")


def landed_files(settings: Settings, feed: str, interval: date) -> list[dict]:
    """The day's files to load, as references for :func:`standardize_landed_file`."""
    return [
        {
            "feed": feed,
            "interval": interval.isoformat(),
            "source_file": e.source_file,
            "sha256": e.sha256,
            "landed_path": str(e.landed_path),
            "fmt": e.fmt,
            "gzipped": e.gzipped,
        }
        for e in _manifest_entries(settings, feed, interval)
    ]


def _entry(ref: dict) -> _ManifestEntry:
    return _ManifestEntry(
        source_file=ref["source_file"],
        sha256=ref["sha256"],
        landed_path=Path(ref["landed_path"]),
        fmt=ref["fmt"],
        gzipped=bool(ref["gzipped"]),
    )


def _file_stage_root(settings: Settings, feed: str, interval: date) -> Path:
    return tmp_dir(settings) / "files" / feed / partition_name(interval)


def standardize_landed_file(settings: Settings, ref: dict) -> dict:
    """Standardise one landed file into its own staging folder; returns counts and the folder."""
    feed, interval = ref["feed"], date.fromisoformat(ref["interval"])
    staged = _file_stage_root(settings, feed, interval) / (
        f"{file_stem(ref['sha256'])}-{uuid.uuid4().hex[:8]}"
    )
    out = {area: staged / area for area in AREAS}
    for folder in out.values():
        folder.mkdir(parents=True)
    try:
        result = _standardize_file(settings, FEEDS[feed], interval, _entry(ref), out)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return {**ref, **asdict(result), "staged": str(staged)}


def commit_feed_day(
    settings: Settings, feed: str, interval: date, results: list[dict]
) -> FeedLoadSummary:
    """Swap the feed-day's partitions in from the per-file results (see the module docstring).

    ``results`` are :func:`standardize_landed_file` answers (any feed: the others are ignored).
    Staged folders are consumed; every file of the current manifest ends up in the partition.
    """
    staged = {
        r["sha256"]: r
        for r in results
        if r["feed"] == feed
        and r["interval"] == interval.isoformat()
        and Path(r["staged"]).is_dir()
    }
    file_results: list[_FileResult] = []
    with feed_day_partitions(settings, feed, interval) as out:
        for ref in landed_files(settings, feed, interval):
            done = staged.get(ref["sha256"])
            if done is None:
                file_results.append(
                    _standardize_file(settings, FEEDS[feed], interval, _entry(ref), out)
                )
                continue
            for area in AREAS:
                for path in Path(done["staged"], area).iterdir():
                    os.replace(path, out[area] / path.name)
            file_results.append(
                _FileResult(
                    done["rows_read"],
                    done["rows_standardized"],
                    done["rows_rejected"],
                    done["error"],
                )
            )
    for done in staged.values():
        shutil.rmtree(done["staged"], ignore_errors=True)
    return FeedLoadSummary(
        feed=feed,
        interval=interval,
        files=len(file_results),
        rows_read=sum(r.rows_read for r in file_results),
        rows_standardized=sum(r.rows_standardized for r in file_results),
        rows_rejected=sum(r.rows_rejected for r in file_results),
        file_errors=[r.error for r in file_results if r.error],
    )
