"""Readers of the canonical formats: CSV, JSON Lines, JSON array and Parquet.

Every reader returns a ``LazyFrame`` of ``String`` columns (named as in the file) plus
``source_row`` (``Int64``, 1-based, header excluded). Text is UTF-8, with or without a byte-order
mark; any file may be gzipped (recognised from its first bytes, whatever its name).

JSON numbers: Polars' JSON parser (like DuckDB's and Arrow's) reads a JSON *number* through a
binary64 float before it becomes text here. That is exact for up to 15 significant digits (any
amount below 100 billion with 4 decimals: ``19.99`` stays ``19.99``); beyond that precision is
lost, or the value reads in exponent notation and is rejected as ``invalid_decimal``. Producers
that need more should write amounts as JSON *strings* (``"unit_price": "19.99"``), which are
taken verbatim. Identifiers and HS codes must be JSON strings anyway (a number loses leading
zeros).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import polars as pl

ROW = "source_row"
MALFORMED = "_malformed_row"
"""Reserved column of the tolerant CSV reader: the text of a record whose field count is wrong
(null for good records). The standardiser rejects such rows as ``malformed_row``."""
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


def _head(path: Path, n: int = 3) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(n)


def is_gzip(path: Path) -> bool:
    return _head(path, 2) == _GZIP_MAGIC


def read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped if it is gzip, without a UTF-8 byte-order mark."""
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    return data.removeprefix(_BOM)


def _text_source(path: Path) -> Path | bytes:
    """The path itself when Polars can scan it directly, else the cleaned bytes in memory."""
    head = _head(path)
    if head[:2] == _GZIP_MAGIC or head == _BOM:
        return read_bytes(path)
    return path


def _with_row(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Move ``source_row`` first and make it Int64 (Polars' row index is UInt32/UInt64)."""
    return lf.select(pl.col(ROW).cast(pl.Int64()), pl.exclude(ROW))


def _empty() -> pl.LazyFrame:
    return pl.LazyFrame(schema={ROW: pl.Int64()})


# --- CSV -------------------------------------------------------------------------------------


def read_csv(path: Path) -> pl.LazyFrame:
    """Canonical CSV: comma-separated, ``"`` quoting, a header row, UTF-8 (BOM allowed).

    Polars recognises gzip and the BOM itself, so the file is scanned lazily from disk. Every
    column is read as text (no type inference): the standardiser parses each value itself.
    """
    lf = pl.scan_csv(
        path,
        infer_schema=False,
        row_index_name=ROW,
        row_index_offset=1,
        raise_if_empty=False,
        encoding="utf8",
    )
    return _with_row(lf)


def read_csv_tolerant(path: Path) -> pl.LazyFrame:
    """Canonical CSV, record by record, for a file the fast reader refused (ragged lines, stray
    quotes). Used by the standardiser as a fallback only: Python's ``csv`` module parses each
    record; a record with the header's field count becomes a row as usual, any other becomes a
    row of nulls with its text in :data:`MALFORMED`, so it is rejected with a reason instead of
    taking the whole file down. A quote inside an unquoted field is kept as a character. Blank
    lines are skipped. Text must be UTF-8 (BOM allowed): anything else still fails the file.
    """
    text = read_bytes(path).decode("utf-8")
    records = csv.reader(io.StringIO(text, newline=""))
    header = next(records, None)
    if not header:
        return _empty()
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in header]
    malformed: list[str | None] = []
    for record in records:
        if not record:
            continue
        if len(record) == width:
            for values, value in zip(columns, record, strict=True):
                values.append(value or None)
            malformed.append(None)
        else:
            for values in columns:
                values.append(None)
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(record)
            malformed.append(f"{len(record)} fields, expected {width}: {out.getvalue()}")
    data = dict(zip(header, columns, strict=True)) | {MALFORMED: malformed}
    frame = pl.DataFrame(data, schema={n: pl.String() for n in data})
    return _with_row(frame.lazy().with_row_index(ROW, offset=1))


# --- JSON Lines ------------------------------------------------------------------------------


def _json_keys_fallback(data: bytes) -> list[str]:
    """Keys of every JSON object, in first-seen order (only when Polars' inference gives up)."""
    keys: dict[str, None] = {}
    for line in data.splitlines():
        if line.strip():
            keys.update(dict.fromkeys(json.loads(line)))
    return list(keys)


def read_jsonl(path: Path) -> pl.LazyFrame:
    """Canonical JSON Lines: one JSON object per line; keys are the column names.

    A key absent from a line is null for that row; blank lines are skipped (``source_row``
    counts objects). Nested values (objects, arrays) come through
    as their JSON text, booleans as ``true``/``false``. The set of keys is taken from the whole
    file (one quick extra pass), so a column that only appears late is still seen.
    """
    source = _text_source(path)
    data = source if isinstance(source, bytes) else None
    if data is None and path.stat().st_size == 0:
        return _empty()
    if data is not None and not data.strip():
        return _empty()
    try:
        keys = pl.scan_ndjson(source, infer_schema_length=None).collect_schema().names()
    except pl.exceptions.ComputeError:
        raw = data if data is not None else read_bytes(path)
        if not raw.strip():
            return _empty()
        keys = _json_keys_fallback(raw)
    lf = pl.scan_ndjson(
        source,
        schema={k: pl.String() for k in keys},
        row_index_name=ROW,
        row_index_offset=1,
    )
    return _with_row(lf)


# --- JSON array ------------------------------------------------------------------------------


def read_json(path: Path) -> pl.LazyFrame:
    """A ``.json`` file: a JSON array of objects, or else JSON Lines under a ``.json`` name.

    A JSON array cannot be parsed in pieces, so it is read into memory (files in this format
    are expected to be small exports; large feeds should use JSON Lines, CSV or Parquet).
    """
    data = read_bytes(path)
    stripped = data.lstrip()
    if not stripped:
        return _empty()
    if not stripped.startswith(b"["):
        return read_jsonl(path)
    keys = pl.read_json(io.BytesIO(data), infer_schema_length=None).columns
    if not keys:
        return _empty()
    df = pl.read_json(io.BytesIO(data), schema={k: pl.String() for k in keys})
    return _with_row(df.lazy().with_row_index(ROW, offset=1))


# --- Parquet ---------------------------------------------------------------------------------


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """An expression rendering a typed Parquet column as the text the standardiser expects."""
    col = pl.col(name)
    if dtype == pl.String:
        return col
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return col.dt.to_string("%Y-%m-%dT%H:%M:%S%.f")
        return col.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")
    if dtype == pl.Date:
        return col.dt.to_string("%Y-%m-%d")
    if dtype == pl.Binary:
        return col.bin.encode("hex")
    if isinstance(dtype, pl.Struct | pl.List | pl.Array):
        # JSON text of the nested value: encode {"v": value} and keep the value part.
        encoded = pl.struct(col.alias("v")).struct.json_encode()
        return pl.when(col.is_not_null()).then(
            encoded.str.strip_prefix('{"v":').str.strip_suffix("}")
        )
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
    # Integers, Decimals (exact text), floats (shortest text that reads back the same float),
    # Time, Duration, Categorical, Enum.
    return col.cast(pl.String())


def read_parquet(path: Path) -> pl.LazyFrame:
    """Canonical Parquet: the canonical column names; any physical types.

    Typed columns are rendered as text (decimals exactly, timestamps in ISO 8601 with ``Z``
    for zoned ones) and then go through the same parsing and validation as CSV text.
    A gzipped Parquet file (``.parquet.gz``) is decompressed in memory first.
    """
    source: Path | io.BytesIO = io.BytesIO(read_bytes(path)) if is_gzip(path) else path
    lf = pl.scan_parquet(source, row_index_name=ROW, row_index_offset=1)
    schema = lf.collect_schema()
    return lf.select(
        pl.col(ROW).cast(pl.Int64()),
        *(_as_text(n, t).alias(n) for n, t in schema.items() if n != ROW),
    )
