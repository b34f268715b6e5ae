"""The source-format readers, chosen by format name.

A reader takes the path of a landed file and returns a Polars ``LazyFrame`` whose columns are all
``String`` (named as in the file) plus ``source_row`` (``Int64``, 1-based data row, header
excluded). Readers do not rename, trim, cast or validate: that is ``transforms.standardize``'s job,
the same for every format.

The format of a file comes from its name: the last extension, after an optional ``.gz``
(``orders.csv.gz`` → ``csv``). Compression is recognised from the content (gzip magic bytes)
as well, so readers never have to care. To support a new format, write a module with a reader
function and add one entry to ``READERS`` (see ``docs/feeds.md``, "Adding a source format").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from transforms.readers.canonical import (
    read_csv,
    read_csv_tolerant,
    read_json,
    read_jsonl,
    read_parquet,
)
from transforms.readers.eurocart import read_eurocart
from transforms.readers.order_api import read_order_api
from transforms.readers.wms_xml import read_wms_xml

Reader = Callable[[Path], pl.LazyFrame]

READERS: dict[str, Reader] = {
    "csv": read_csv,
    "jsonl": read_jsonl,
    "ndjson": read_jsonl,
    "json": read_json,
    "parquet": read_parquet,
    # source-specific layouts (docs/feeds.md, "Source formats")
    "eurocart.csv": read_eurocart,  # EuroCart: ';', cp1252, gross cents, local time + offset
    "orderapi.json": read_order_api,  # order API pages: order → lines → parcel
    "wms.xml": read_wms_xml,  # warehouse-system XML: receipts (lots) and dispatches
}
"""Format name → reader. The format name is the file extension (without ``.gz``), or a compound
one (``shopb.csv``) for a source-specific layout."""

FALLBACK_READERS: dict[str, Reader] = {"csv": read_csv_tolerant}
"""Format → a slower, record-by-record reader used when the fast reader refuses a file, so that
row-level damage (a ragged line, a stray quote) rejects those rows, not the whole file."""

DESIGN_FORMATS = frozenset({"csv", "jsonl", "json", "parquet", "xml"})
"""Extensions of the source layout in DESIGN.md: landed even before a reader exists for them."""


class UnsupportedFormatError(ValueError):
    """No reader is registered for a file's format."""


def split_format(name: str) -> tuple[str, bool]:
    """``("csv", True)`` for ``orders.CSV.gz``: the format name and whether it is gzipped.

    The format is the last extension, or the last two when they name a registered reader
    (``export.shopb.csv`` → ``shopb.csv``): source-specific layouts that share a common
    extension are told apart that way.
    """
    lower = name.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[: -len(".gz")]
    parts = lower.split(".")
    if len(parts) >= 3 and ".".join(parts[-2:]) in READERS:
        return ".".join(parts[-2:]), gz
    return (parts[-1] if len(parts) > 1 else ""), gz


def landable_formats() -> frozenset[str]:
    """Formats that landing accepts: the DESIGN list plus every registered reader."""
    return DESIGN_FORMATS | frozenset(READERS)


def get_reader(fmt: str) -> Reader:
    try:
        return READERS[fmt]
    except KeyError:
        known = ", ".join(sorted(READERS))
        raise UnsupportedFormatError(
            f"no reader is registered for format {fmt!r} (registered: {known})"
        ) from None


def read_file(path: Path, fmt: str | None = None) -> pl.LazyFrame:
    """Read a landed file with the reader of its format (from its name unless ``fmt`` is given)."""
    return get_reader(fmt or split_format(path.name)[0])(path)


__all__ = [
    "DESIGN_FORMATS",
    "FALLBACK_READERS",
    "READERS",
    "Reader",
    "UnsupportedFormatError",
    "get_reader",
    "landable_formats",
    "read_file",
    "split_format",
]
