"""The standardisation of a canonical CSV feed file written with pandas, for comparison.

A faithful re-implementation of what ``transforms.standardize`` does to a canonical CSV file
(the order-lines and declarations feeds of the benchmark), with the tools a pandas user would
reach for, vectorised wherever pandas allows it:

- read every column as text (no type guessing), trim, empty text is absent;
- timestamps: ISO 8601 with or without offset or time, converted to UTC
  (``pd.to_datetime(format="ISO8601", utc=True)``); events after the interval's end plus the
  tolerance are rejected;
- decimals: exact (``pyarrow`` ``decimal128`` from text, never through a float), rejected when
  not plain decimal text or with more fractional digits than the scale;
- integers, ISO 3166 country and ISO 4217 currency codes (upper-cased), HS codes (dots and
  spaces removed, 6-10 digits), IOSS numbers (compacted, checked with python-stdnum once per
  distinct value), allowed values, positive / non-negative amounts, missing required values,
  duplicate keys;
- personal identifiers replaced by their HMAC-SHA256 pseudonym (one HMAC per distinct value);
- good rows to Parquet in the canonical column types, rejects with their reason codes and the
  raw row as JSON to another Parquet file.

The reason codes, patterns and code lists are the project's own (``transforms``), so both
implementations accept and reject the same rows (the benchmark compares the counts).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from transforms import rejects as rj
from transforms.parsing import (
    COUNTRY_CODES,
    CURRENCY_CODES,
    HS_CODE_PATTERN,
    column_kind,
    decimal_pattern,
    valid_ioss_numbers,
)
from transforms.pseudonymize import Pseudonymizer
from transforms.schemas import FEEDS
from transforms.validation import latest_event_time

_INVALID = {
    "timestamp": rj.INVALID_TIMESTAMP,
    "decimal": rj.INVALID_DECIMAL,
    "integer": rj.INVALID_INTEGER,
    "country": rj.INVALID_COUNTRY,
    "currency": rj.INVALID_CURRENCY,
    "hs_code": rj.INVALID_HS_CODE,
    "ioss": rj.INVALID_IOSS,
    "allowed": rj.NOT_ALLOWED,
}
_INT_RANGE = {pl.Int32(): (-(2**31), 2**31 - 1), pl.Int64(): (-(2**63), 2**63 - 1)}


def _clean(text: pd.Series) -> pd.Series:
    stripped = text.str.strip()
    return stripped.where(stripped.str.len() > 0)


def _parse(kind: str, col: str, dtype: pl.DataType, text: pd.Series, feed: str) -> pd.Series:
    schema = FEEDS[feed]
    if kind == "timestamp":
        return pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    if kind == "decimal":
        ok = text.str.fullmatch(decimal_pattern(dtype.scale)).fillna(False).astype(bool)
        arrow = pa.array(text.where(ok), type=pa.string(), from_pandas=True)
        return pd.Series(arrow.cast(pa.decimal128(dtype.precision, dtype.scale)), index=text.index)
    if kind == "integer":
        low, high = _INT_RANGE.get(dtype, _INT_RANGE[pl.Int64()])
        ok = text.str.fullmatch(r"[+-]?[0-9]{1,18}").fillna(False).astype(bool)
        number = pd.to_numeric(text.where(ok), errors="coerce").astype("Int64")
        return number.where((number >= low) & (number <= high))
    if kind in ("country", "currency"):
        codes = COUNTRY_CODES if kind == "country" else CURRENCY_CODES
        upper = text.str.upper()
        return upper.where(upper.isin(codes))
    if kind == "hs_code":
        digits = text.str.replace(r"[.\s]", "", regex=True)
        return digits.where(digits.str.fullmatch(HS_CODE_PATTERN).fillna(False).astype(bool))
    if kind == "ioss":
        compact = text.str.replace(r"[\s-]", "", regex=True).str.upper()
        valid = valid_ioss_numbers(compact.dropna().unique().tolist())
        return compact.where(compact.isin(valid))
    if kind == "allowed":
        allowed = schema.allowed_values[col]
        cased = text.str.upper() if all(v == v.upper() for v in allowed) else text
        return cased.where(cased.isin(allowed))
    return text


def standardize_file(
    path: Path, feed: str, interval: date, key: bytes, out_dir: Path
) -> tuple[int, int]:
    """Standardise one canonical CSV file; write good rows and rejects; return their counts."""
    schema = FEEDS[feed]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    raw.insert(0, "source_row", range(1, len(raw) + 1))
    columns = [c for c in raw.columns if c != "source_row"]
    latest = pd.Timestamp(latest_event_time(interval))
    typed: dict[str, pd.Series] = {}
    bad_reasons: list[tuple[pd.Series, str]] = []
    for col, dtype in schema.columns.items():
        kind = column_kind(col, dtype, schema)
        text = _clean(raw[col]) if col in raw else pd.Series(None, index=raw.index, dtype=object)
        has = text.notna()
        value = _parse(kind, col, dtype, text, feed) if kind != "text" else text
        typed[col] = value
        if col not in schema.nullable:
            bad_reasons.append((~has, rj.reason(rj.MISSING, col)))
        if kind != "text":
            bad_reasons.append((has & value.isna(), rj.reason(_INVALID[kind], col)))
        if col in schema.positive:
            bad_reasons.append(
                ((value <= 0).fillna(False).astype(bool), rj.reason(rj.NOT_POSITIVE, col))
            )
        if col in schema.non_negative:
            bad_reasons.append(
                ((value < 0).fillna(False).astype(bool), rj.reason(rj.NEGATIVE, col))
            )
    if schema.event_time:
        late = (typed[schema.event_time] > latest).fillna(False).astype(bool)
        bad_reasons.append((late, rj.reason(rj.FUTURE_TIMESTAMP, schema.event_time)))
    keys = pd.DataFrame({c: typed[c] for c in schema.key})
    duplicate = keys.notna().all(axis=1) & keys.duplicated(keep="first")
    bad_reasons.append((duplicate, rj.DUPLICATE_KEY))

    bad = pd.concat([b for b, _ in bad_reasons], axis=1).any(axis=1)
    hmac = Pseudonymizer(key)
    for col in schema.pseudonymised:
        distinct = typed[col].dropna().unique().tolist()
        typed[col] = typed[col].map(dict(zip(distinct, hmac.many(distinct), strict=True)))

    good = pd.DataFrame({c: v[~bad] for c, v in typed.items()})
    good["source_file"] = path.name
    good["source_row"] = raw["source_row"][~bad]
    good["load_id"] = path.stem
    arrow_schema = pa.schema(
        [(c, pl.Series([], dtype=t).to_arrow().type) for c, t in schema.standardized_schema.items()]
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(good, schema=arrow_schema, preserve_index=False)
    pq.write_table(table, out_dir / f"{feed}-{path.stem}.parquet", compression="zstd")

    rejected = raw[bad]
    reasons = pd.concat(
        [cond[bad].map({True: code, False: None}) for cond, code in bad_reasons], axis=1
    )
    reason_text = reasons.apply(lambda r: rj.REASON_SEPARATOR.join(r.dropna()), axis=1)
    personal = {c: typed[c][bad] for c in schema.pseudonymised if c in rejected}
    raw_rows = rejected[columns].assign(**personal)
    rejects = pd.DataFrame(
        {
            "feed": feed,
            "source_file": path.name,
            "source_row": rejected["source_row"],
            "reason": reason_text if len(rejected) else pd.Series([], dtype=object),
            "raw": [json.dumps(r, ensure_ascii=False) for r in raw_rows.to_dict("records")],
        }
    )
    rejects.to_parquet(out_dir / f"{feed}-{path.stem}.rejects.parquet", compression="zstd")
    return int((~bad).sum()), int(bad.sum())
