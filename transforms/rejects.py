"""Reject reason codes and the shape of a rejects file.

A rejected row carries every reason that applies to it, in canonical column order, joined by
``;`` (``missing:order_id;invalid_country:buyer_country``). Codes are ``<check>:<column>``
except ``duplicate_key``. The full list, with examples, is in ``docs/feeds.md``.
"""

from __future__ import annotations

import polars as pl

from transforms.schemas import REJECTS_SCHEMA

MISSING = "missing"
"""A required column is empty (null, empty or blank text)."""
MISSING_COLUMN = "missing_column"
"""The whole file lacks a required column: every row of the file is rejected with this code."""
INVALID_TIMESTAMP = "invalid_timestamp"
INVALID_DECIMAL = "invalid_decimal"
INVALID_INTEGER = "invalid_integer"
INVALID_COUNTRY = "invalid_country"
INVALID_CURRENCY = "invalid_currency"
INVALID_HS_CODE = "invalid_hs_code"
INVALID_IOSS = "invalid_ioss"
NOT_POSITIVE = "not_positive"
NEGATIVE = "negative"
NOT_ALLOWED = "not_allowed"
MALFORMED_ROW = "malformed_row"
"""A CSV record with the wrong number of fields (its text is in ``raw``)."""
FUTURE_TIMESTAMP = "future_timestamp"
"""The event time is after the end of the file's data interval plus one day of tolerance."""
DUPLICATE_KEY = "duplicate_key"
"""A later row of the same file repeats the key of an earlier one (the first is kept)."""

REASON_SEPARATOR = ";"

REASON_CODES: tuple[str, ...] = (
    MALFORMED_ROW,
    MISSING,
    MISSING_COLUMN,
    INVALID_TIMESTAMP,
    INVALID_DECIMAL,
    INVALID_INTEGER,
    INVALID_COUNTRY,
    INVALID_CURRENCY,
    INVALID_HS_CODE,
    INVALID_IOSS,
    NOT_POSITIVE,
    NEGATIVE,
    NOT_ALLOWED,
    FUTURE_TIMESTAMP,
    DUPLICATE_KEY,
)


def reason(code: str, column: str | None = None) -> str:
    """``missing:order_id``; ``duplicate_key`` has no column."""
    return code if column is None else f"{code}:{column}"


def reason_codes(reasons: str) -> list[str]:
    """Split a ``reason`` value into its codes (``"a:x;b:y"`` → ``["a:x", "b:y"]``)."""
    return [r for r in reasons.split(REASON_SEPARATOR) if r]


def raw_json(fields: dict[str, pl.Expr]) -> pl.Expr:
    """The raw text of a row: a JSON object of the source columns as read (strings).

    ``fields`` maps each of the file's column names to the expression giving its text. Callers
    pass the pseudonym instead of the clear value for personal identifiers: rejects leave the
    landing zone too and must not carry them in the clear.
    """
    if not fields:
        return pl.lit("{}")
    return pl.struct([e.alias(n) for n, e in fields.items()]).struct.json_encode()


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECTS_SCHEMA)


def rejects_frame(
    lf: pl.LazyFrame,
    *,
    reason_col: str,
    raw_col: str,
    feed: str | None,
    source_file: str | None,
    load_id: str | None,
) -> pl.LazyFrame:
    """Select the columns of a rejects file (``REJECTS_SCHEMA``, in order) from ``lf``."""
    return lf.select(
        pl.lit(load_id, pl.String()).alias("load_id"),
        pl.lit(feed, pl.String()).alias("feed"),
        pl.lit(source_file, pl.String()).alias("source_file"),
        pl.col("source_row").cast(pl.Int64()),
        pl.col(reason_col).alias("reason"),
        pl.col(raw_col).alias("raw"),
    )
