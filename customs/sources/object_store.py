"""Pull a feed's day from an object store or any filesystem fsspec knows (``s3://``, ``gs://``,
``file://``, ``memory://``...): the same layout as a local folder,
``<url>/<feed dir>/<YYYY-MM-DD>/<file>``.

Each object is downloaded to a temporary file (hashing on the way), then landed like a folder
file: bytes unchanged, by hash, with a manifest row (``source`` = the source name,
``source_file`` = ``<source>:<feed dir>/<day>/<name>``). The source's rows of the day follow the
listing, as for a folder. Protocols other than ``file`` and ``memory`` need their fsspec
implementation installed (``s3fs``, ``gcsfs``); credentials come from ``storage_options`` or
the usual environment of that library.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

from customs.settings import Settings
from customs.sources.config import SourceConfig

log = logging.getLogger(__name__)


def pull_fsspec(settings: Settings, src: SourceConfig, feed: str, interval: date) -> list:
    import fsspec

    from transforms.landing import Delivery, land_deliveries
    from transforms.readers import landable_formats, split_format
    from transforms.storage import tmp_dir

    url = str(src.get("url")).rstrip("/")
    feed_dir = src.get("feed_dir") or feed
    fs, root = fsspec.core.url_to_fs(url, **(src.get("storage_options") or {}))
    day = f"{root.rstrip('/')}/{feed_dir}/{interval.isoformat()}"
    entries = fs.ls(day, detail=True) if fs.isdir(day) else []
    formats = landable_formats()
    scratch = tmp_dir(settings)
    scratch.mkdir(parents=True, exist_ok=True)
    temps, delivered = [], []
    try:
        for entry in sorted(entries, key=lambda e: e["name"]):
            name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
            if entry.get("type") != "file" or name.startswith("."):
                continue
            if split_format(name)[0] not in formats:
                log.warning("%s: skipping %s (no known format)", src.name, entry["name"])
                continue
            tmp = scratch / f".pull-{uuid.uuid4().hex}"
            temps.append(tmp)
            with fs.open(entry["name"], "rb") as fin, open(tmp, "wb") as fout:
                while chunk := fin.read(1 << 20):
                    fout.write(chunk)
            source_file = f"{src.name}:{feed_dir}/{interval.isoformat()}/{name}"
            delivered.append(Delivery.of(tmp, source_file, name))
        return land_deliveries(settings, feed, interval, delivered, source=src.name)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
