"""Value parsing and normalisation: vectorised Polars expressions, no Python per row.

Text → canonical typed values (timestamps in UTC, exact decimals, integers, ISO codes, HS codes,
IOSS numbers, allowed values). :func:`typed_columns` applies them to a whole frame with a fast
path for values already in canonical form. Nothing here decides whether a row is rejected: that
is ``transforms.validation``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

import polars as pl
import pycountry
from stdnum.eu import oss

from transforms import rejects as rj
from transforms.schemas import FeedSchema

COUNTRY_CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
"""ISO 3166-1 alpha-2 codes (pycountry)."""
CURRENCY_CODES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)
"""ISO 4217 alphabetic codes (pycountry)."""
_COUNTRIES = pl.Series("countries", sorted(COUNTRY_CODES), dtype=pl.String())
_CURRENCIES = pl.Series("currencies", sorted(CURRENCY_CODES), dtype=pl.String())

HS_CODE_PATTERN = r"^[0-9]{6,10}$"
"""An HS code after removing dots and spaces: 6 to 10 digits (leading zeros kept)."""


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Trim surrounding whitespace; empty or blank text becomes null (an absent value).

    Only values that start or end with a space or a tab go through ``strip_chars`` (which then
    removes all surrounding Unicode whitespace); stripping every value would copy every string.
    """
    padded = (
        expr.str.starts_with(" ")
        | expr.str.ends_with(" ")
        | expr.str.starts_with("\t")
        | expr.str.ends_with("\t")
    )
    trimmed = pl.coalesce(pl.when(padded).then(expr).str.strip_chars(), expr)
    return pl.when(trimmed.str.len_bytes() > 0).then(trimmed)


def _to_datetime(text: pl.Expr, fmt: str) -> pl.Expr:
    return text.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False)


FAST_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d")


def with_parsed_timestamps(lf: pl.LazyFrame, columns: dict[str, str]) -> pl.LazyFrame:
    """Parse ISO 8601 text columns into ``Datetime('us', 'UTC')`` columns (``text → out``).

    Offsets are converted to UTC and naive values taken as UTC. Accepted:
    ``2026-09-01T10:00:00Z``, ``...T10:00:00.123456+02:00`` (or ``+0200``), a space instead of
    ``T``, no offset, or a bare date ``2026-09-01`` (midnight UTC). The result is null where
    the text is not a valid timestamp (including impossible dates like 02-30).

    The canonical form (``...THH:MM:SSZ``) goes through Polars' fast path first; each further
    format only sees the rows still unparsed (the others are null there, which costs nothing),
    one ``with_columns`` step at a time so that no sub-expression is computed twice.
    """
    if not columns:
        return lf
    rest = {text: f"__ts_rest_{i}" for i, text in enumerate(columns)}
    lf = lf.with_columns(
        _to_datetime(pl.col(t), FAST_TIMESTAMP_FORMAT).alias(out) for t, out in columns.items()
    )
    lf = lf.with_columns(
        pl.when(pl.col(out).is_null())
        .then(pl.col(t))
        .str.replace(" ", "T", literal=True, n=1)
        .alias(rest[t])
        for t, out in columns.items()
    )
    for fmt in TIMESTAMP_FORMATS:
        lf = lf.with_columns(
            pl.coalesce(pl.col(out), _to_datetime(pl.col(rest[t]), fmt)).alias(out)
            for t, out in columns.items()
        ).with_columns(
            pl.when(pl.col(out).is_null()).then(pl.col(rest[t])).alias(rest[t])
            for t, out in columns.items()
        )
    return lf.drop(rest.values())


def parse_timestamp(text: pl.Series) -> pl.Series:
    """Eager form of :func:`with_parsed_timestamps` for one Series (tests, notebooks)."""
    lf = pl.LazyFrame({"t": text.cast(pl.String())})
    return with_parsed_timestamps(lf, {"t": "v"}).collect()["v"].alias(text.name)


def decimal_pattern(scale: int) -> str:
    """Plain decimal text with at most ``scale`` significant fractional digits.

    ``12``, ``-0.5``, ``+3.``, ``.25``, ``1.2300000`` match; ``1e3``, ``1,5``, ``1 000`` and
    (for scale 4) ``0.00001``, which could only be stored rounded, do not.
    """
    return rf"^[+-]?(?:[0-9]+(?:\.[0-9]{{0,{scale}}}0*)?|\.[0-9]{{1,{scale}}}0*)$"


def parse_decimal(text: pl.Expr, dtype: pl.Decimal) -> pl.Expr:
    """Decimal text → ``dtype`` exactly: string → decimal directly, never through a float.

    Null where the text is not a plain decimal, has more fractional digits than the scale can
    hold (no silent rounding) or overflows the precision.
    """
    scale = dtype.scale or 0
    parsed = text.str.to_decimal(scale=scale).cast(dtype, strict=False)
    return pl.when(text.str.contains(decimal_pattern(scale))).then(parsed)


def parse_integer(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Integer text (optional sign) → ``dtype``; null where not an integer or out of range."""
    return text.str.to_integer(base=10, strict=False).cast(dtype, strict=False)


def normalize_ioss(text: pl.Expr) -> pl.Expr:
    """Compact IOSS number: spaces and dashes removed, upper case (``im 372-0000022`` → ...)."""
    return text.str.replace_all(r"[\s-]", "").str.to_uppercase()


def normalize_hs_code(text: pl.Expr) -> pl.Expr:
    """HS code digits: dots and spaces removed, leading zeros kept (``0101.21`` → ``010121``)."""
    return text.str.replace_all(r"[.\s]", "")


@lru_cache(maxsize=1 << 16)
def _is_valid_ioss(value: str) -> bool:
    return value.startswith("IM") and oss.is_valid(value)


def valid_ioss_numbers(values: Iterable[str]) -> list[str]:
    """The IOSS numbers among ``values``: ``IM`` + 10 digits that python-stdnum's OSS check
    (``stdnum.eu.oss``: length, digits, member-state code) accepts. Answers are remembered
    per process (the same few thousand numbers recur in every file)."""
    return sorted({v for v in values if _is_valid_ioss(v)})


def _case_of(values: tuple[str, ...]) -> str | None:
    if values and all(v == v.upper() for v in values):
        return "upper"
    if values and all(v == v.lower() for v in values):
        return "lower"
    return None


# --- typed columns -----------------------------------------------------------------------------

# The kind of each canonical column decides how it is parsed and which reason marks it invalid.
_INVALID_REASON = {
    "timestamp": rj.INVALID_TIMESTAMP,
    "decimal": rj.INVALID_DECIMAL,
    "integer": rj.INVALID_INTEGER,
    "country": rj.INVALID_COUNTRY,
    "currency": rj.INVALID_CURRENCY,
    "hs_code": rj.INVALID_HS_CODE,
    "ioss": rj.INVALID_IOSS,
    "allowed": rj.NOT_ALLOWED,
}


def column_kind(col: str, dtype: pl.DataType, schema: FeedSchema) -> str:
    """``timestamp``, ``decimal``, ``integer``, ``country``, ``currency``, ``hs_code``,
    ``ioss``, ``allowed`` or ``text`` (free text and identifiers: trimmed, not validated)."""
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if dtype.is_integer():
        return "integer"
    if col in schema.countries:
        return "country"
    if col in schema.currencies:
        return "currency"
    if col in schema.hs_codes:
        return "hs_code"
    if col in schema.ioss_numbers:
        return "ioss"
    if col in schema.allowed_values:
        return "allowed"
    return "text"


def _member_of(text: pl.Expr, values: pl.Series) -> pl.Expr:
    return pl.when(text.is_in(values.implode())).then(text)


def _parse_kind(
    kind: str,
    text: pl.Expr,
    *,
    col: str,
    dtype: pl.DataType,
    schema: FeedSchema,
    valid_ioss: dict[str, pl.Series],
    normalize: bool,
) -> pl.Expr:
    """Typed value of ``text`` for a column kind (null where invalid).

    ``normalize=False`` is the fast path for values already in canonical form;
    ``normalize=True`` handles the others (upper-casing codes, compacting HS/IOSS numbers).
    """
    if kind == "timestamp":  # fast path only; the general formats: with_parsed_timestamps
        return _to_datetime(text, FAST_TIMESTAMP_FORMAT)
    if kind == "decimal":
        assert isinstance(dtype, pl.Decimal)
        return parse_decimal(text, dtype)
    if kind == "integer":
        return parse_integer(text, dtype)
    if kind in ("country", "currency"):
        codes = _COUNTRIES if kind == "country" else _CURRENCIES
        return _member_of(text.str.to_uppercase() if normalize else text, codes)
    if kind == "hs_code":
        digits = normalize_hs_code(text) if normalize else text
        return pl.when(digits.str.contains(HS_CODE_PATTERN)).then(digits)
    if kind == "ioss":
        compact = normalize_ioss(text) if normalize else text
        return _member_of(compact, valid_ioss.get(col, pl.Series([], dtype=pl.String())))
    if kind == "allowed":
        allowed = schema.allowed_values[col]
        case = _case_of(allowed) if normalize else None
        if case == "upper":
            text = text.str.to_uppercase()
        elif case == "lower":
            text = text.str.to_lowercase()
        return _member_of(text, pl.Series(allowed, dtype=pl.String()))
    raise ValueError(f"unknown column kind {kind!r}")


def typed_columns(
    lf: pl.LazyFrame,
    schema: FeedSchema,
    sources: dict[str, str],
    valid_ioss: dict[str, pl.Series] | None = None,
) -> pl.LazyFrame:
    """Add ``__v_<col>`` (typed, normalised value) and ``__has_<col>`` (a value was given).

    ``sources`` maps each canonical column present in ``lf`` to the String column holding its
    text; absent columns are null (and ``__has_`` false). ``__v_`` is null where the text is
    absent or invalid, so ``__has_ & __v_.is_null()`` marks an invalid value.

    Values are first tried as they are (fast path: already canonical); only those that fail
    are trimmed and normalised and tried again. Free-text columns are just trimmed.
    """
    lf = lf.with_columns(fast_values(schema, sources, valid_ioss))
    return rest_values(lf, schema, sources, valid_ioss)


def _kinds(schema: FeedSchema) -> dict[str, str]:
    return {c: column_kind(c, t, schema) for c, t in schema.columns.items()}


def parsed_columns(schema: FeedSchema, sources: dict[str, str]) -> list[str]:
    """The columns present in the file that are parsed (not free text)."""
    kinds = _kinds(schema)
    return [c for c in schema.columns if c in sources and kinds[c] != "text"]


def _parser(
    schema: FeedSchema, valid_ioss: dict[str, pl.Series]
) -> Callable[[str, pl.Expr, bool], pl.Expr]:
    kinds = _kinds(schema)

    def parse(c: str, text: pl.Expr, normalize: bool) -> pl.Expr:
        return _parse_kind(
            kinds[c],
            text,
            col=c,
            dtype=schema.columns[c],
            schema=schema,
            valid_ioss=valid_ioss,
            normalize=normalize,
        )

    return parse


def fast_values(
    schema: FeedSchema,
    sources: dict[str, str],
    valid_ioss: dict[str, pl.Series] | None = None,
) -> list[pl.Expr]:
    """Step 1 of :func:`typed_columns`: ``__v_<col>`` of the values already in canonical form
    (and trimmed free text; absent columns are typed nulls)."""
    kinds, parse = _kinds(schema), _parser(schema, valid_ioss or {})
    first = []
    for c, dtype in schema.columns.items():
        if c not in sources:
            first.append(pl.lit(None, dtype).alias(f"__v_{c}"))
        elif kinds[c] == "text":
            first.append(clean_text(pl.col(sources[c])).alias(f"__v_{c}"))
        else:
            first.append(parse(c, pl.col(sources[c]), normalize=False).alias(f"__v_{c}"))
    return first


def fast_path_misses(schema: FeedSchema, sources: dict[str, str]) -> list[pl.Expr]:
    """One boolean per parsed column (named after it), on a frame with :func:`fast_values`:
    does any row have text that the fast path did not take?"""
    return [
        (pl.col(f"__v_{c}").is_null() & pl.col(sources[c]).is_not_null()).any().alias(c)
        for c in parsed_columns(schema, sources)
    ]


def rest_values(
    lf: pl.LazyFrame,
    schema: FeedSchema,
    sources: dict[str, str],
    valid_ioss: dict[str, pl.Series] | None = None,
    slow: Iterable[str] | None = None,
) -> pl.LazyFrame:
    """Steps 2-3 of :func:`typed_columns`, on a frame with :func:`fast_values`: the values the
    fast path did not take, cleaned, normalised and tried again, and ``__has_<col>``.

    ``slow``: the parsed columns that need this at all (:func:`fast_path_misses`; default
    all). For the others every given value was taken by the fast path, so ``__v_`` stays and
    ``__has_`` is ``__v_`` not null: the same result without computing mostly-null columns.
    """
    kinds, parse = _kinds(schema), _parser(schema, valid_ioss or {})
    present = parsed_columns(schema, sources)
    parsed = present if slow is None else [c for c in present if c in set(slow)]

    def v(c: str) -> pl.Expr:
        return pl.col(f"__v_{c}")

    # 2. the rest: cleaned text of the values the fast path did not take (usually none)
    lf = lf.with_columns(
        clean_text(pl.when(v(c).is_null()).then(pl.col(sources[c]))).alias(f"__r_{c}")
        for c in parsed
    )
    timestamps = {f"__r_{c}": f"__s_{c}" for c in parsed if kinds[c] == "timestamp"}
    lf = with_parsed_timestamps(lf, timestamps)

    # 3. slow path, and whether a value was given at all
    def slow_value(c: str) -> pl.Expr:
        if kinds[c] == "timestamp":
            return pl.col(f"__s_{c}")
        return parse(c, pl.col(f"__r_{c}"), normalize=True)

    lf = lf.with_columns(
        *(pl.coalesce(v(c), slow_value(c)).alias(f"__v_{c}") for c in parsed),
        *(
            (v(c).is_not_null() | pl.col(f"__r_{c}").is_not_null()).alias(f"__has_{c}")
            for c in parsed
        ),
        *(
            (v(c).is_not_null() if c in sources else pl.lit(False)).alias(f"__has_{c}")
            for c in schema.columns
            if c not in parsed
        ),
    )
    return lf.drop([f"__r_{c}" for c in parsed] + list(timestamps.values()))
