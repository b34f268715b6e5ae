"""Validation of one file's rows: checks with reason codes, pseudonyms, good rows and rejects.

:func:`prepare_frame` computes the per-file lookups in one narrow pass (valid IOSS numbers,
duplicate keys; the pseudonyms of the distinct personal identifiers only for a key that is not
UTF-8 text, otherwise every row is hashed as it is written); :func:`good_rows` and
:func:`rejected_rows` then split the rows, every row landing in exactly one of the two. That
path streams: each step reads the file again, so memory stays bounded.

:func:`standardize_collected` gives the same two outputs for a file held in memory with less
work: the typed values and the checks are computed once and kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import polars as pl

from transforms import rejects as rj
from transforms.contract import (
    MALFORMED,
    ContractCheck,
    MissingColumnsError,
    check_contract,
    file_columns,
    internal_names,
)
from transforms.parsing import (
    _INVALID_REASON,
    clean_text,
    column_kind,
    fast_path_misses,
    fast_values,
    normalize_ioss,
    rest_values,
    typed_columns,
    valid_ioss_numbers,
)
from transforms.pseudonymize import Pseudonymizer
from transforms.schemas import FeedSchema

ROW = "source_row"

FUTURE_TOLERANCE = timedelta(days=1)
"""Event times up to this long after the end of a file's data interval are accepted (clock
skew, time zones); later ones are rejected as ``future_timestamp``."""


@dataclass(frozen=True)
class PreparedFrame:
    """One file's rows under internal names, with its per-file lookups computed.

    Built by :func:`prepare_frame` in one narrow pass over the file (only the personal, IOSS
    and key columns are parsed): the pseudonym of every distinct personal identifier, the valid
    IOSS numbers among the distinct ones, and the rows whose key repeats an earlier row's.
    """

    schema: FeedSchema
    names: list[str]
    """The file's own column names (without ``source_row``)."""
    src: dict[str, str]
    """File column name → internal column name (``__src<i>``)."""
    contract: ContractCheck
    base: pl.LazyFrame
    """``source_row`` plus the file's columns under their internal names."""
    pseudonyms: dict[str, pl.Expr]
    """Personal column → expression adding its pseudonym (:func:`pseudonym_per_row` or
    :func:`pseudonym_lookup`)."""
    valid_ioss: dict[str, pl.Series]
    duplicate_rows: pl.Series
    """``source_row`` of every row whose key repeats the key of an earlier row."""
    latest: datetime | None = None
    """Event times after this instant are rejected as ``future_timestamp`` (None: no check)."""

    @property
    def sources(self) -> dict[str, str]:
        """Canonical column → internal column holding its text."""
        return {canonical: self.src[name] for name, canonical in self.contract.renames.items()}

    def typed(self, lf: pl.LazyFrame | None = None) -> pl.LazyFrame:
        """``lf`` (default: all rows) with ``__v_<col>`` and ``__has_<col>`` added."""
        lf = self.base if lf is None else lf
        return typed_columns(lf, self.schema, self.sources, self.valid_ioss)


@dataclass(frozen=True)
class _FileColumns:
    """A file's columns matched to the feed's: internal names and the columns needing lookups."""

    names: list[str]
    src: dict[str, str]
    contract: ContractCheck
    base: pl.LazyFrame
    sources: dict[str, str]
    personal: list[str]
    ioss: list[str]


def _file_columns(lf: pl.LazyFrame, schema: FeedSchema, source_file: str | None) -> _FileColumns:
    names = file_columns(lf)
    contract = check_contract(names, schema)
    if not contract.ok:
        raise MissingColumnsError(contract.missing_required, source_file)
    src, base = internal_names(lf, names)
    sources = {canonical: src[name] for name, canonical in contract.renames.items()}
    return _FileColumns(
        names=names,
        src=src,
        contract=contract,
        base=base,
        sources=sources,
        personal=[c for c in schema.pseudonymised if c in sources],
        ioss=[c for c in schema.ioss_numbers if c in sources],
    )


def _raw_distinct(fc: _FileColumns, personal: list[str]) -> list[pl.Expr]:
    """The distinct raw values of the ``personal`` columns named and of the IOSS columns."""
    return [pl.col(fc.sources[c]).unique().implode().alias(c) for c in [*personal, *fc.ioss]]


def _tabled(hmac: Pseudonymizer, personal: list[str]) -> list[str]:
    """The personal columns whose pseudonyms go through a table of distinct values: none with
    a text key (each row is hashed in Polars, :func:`pseudonym_per_row`), all otherwise."""
    return [] if hmac.vectorised else personal


def _pseudonyms(
    hmac: Pseudonymizer, personal: list[str], table_of: Callable[[str], pl.DataFrame]
) -> dict[str, pl.Expr]:
    """Personal column → expression adding its pseudonym: hashed per row with a text key,
    else looked up in ``table_of(column)`` (only called for the columns of :func:`_tabled`)."""
    return {
        c: pseudonym_per_row(hmac, c) if hmac.vectorised else pseudonym_lookup(c, table_of(c))
        for c in personal
    }


def _distinct(raw: pl.Series, normalize: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """Distinct raw values → distinct cleaned, normalised values (far fewer values than rows)."""
    values = pl.DataFrame({"v": raw}).select(normalize(clean_text(pl.col("v"))))
    return values.to_series().drop_nulls().unique()


def _valid_ioss(fc: _FileColumns, row: pl.DataFrame) -> dict[str, pl.Series]:
    return {
        c: pl.Series(
            valid_ioss_numbers(_distinct(row[c][0], normalize_ioss).to_list()), dtype=pl.String()
        )
        for c in fc.ioss
    }


def _duplicate_rows(schema: FeedSchema) -> pl.Expr:
    """``source_row`` of the rows whose complete key (typed ``__v_`` values) repeats an earlier
    row's."""
    keys = [pl.col(f"__v_{c}") for c in schema.key]
    complete = pl.all_horizontal(k.is_not_null() for k in keys)
    first = pl.struct(keys).is_first_distinct() if len(keys) > 1 else keys[0].is_first_distinct()
    return pl.col(ROW).filter(complete & ~first)


def _duplicate_rows_of(kept: pl.DataFrame, schema: FeedSchema) -> pl.Series:
    """:func:`_duplicate_rows` of a frame in memory, comparing keys only where they may repeat.

    The rows whose key hash occurs more than once are the only ones whose key can repeat
    (equal keys have equal hashes); the exact comparison runs on those alone, in file order,
    so a hash collision costs a comparison, never a wrong reject. About half the CPU of
    comparing every row's key (a day of order lines: 0.04 against 0.08-0.1 s).
    """
    keys = [pl.col(f"__v_{c}") for c in schema.key]
    key = pl.struct(keys) if len(keys) > 1 else keys[0]
    candidates = kept.select(ROW, *keys).filter(key.hash().is_duplicated())
    return candidates.select(_duplicate_rows(schema)).to_series().cast(pl.Int64())


def prepare_frame(
    lf: pl.LazyFrame,
    schema: FeedSchema,
    key: bytes,
    *,
    source_file: str | None = None,
    latest: datetime | None = None,
) -> PreparedFrame:
    """Check the file's columns and compute its lookups (see :class:`PreparedFrame`).

    Raises :class:`MissingColumnsError` when a required column is absent from the file.
    """
    fc = _file_columns(lf, schema, source_file)
    hmac = Pseudonymizer(key)
    tabled = _tabled(hmac, fc.personal)
    # One narrow pass (projection pushdown keeps only the columns these need). Distinct raw
    # values are taken first, then cleaned/normalised: far fewer values than rows.
    row = (
        typed_columns(fc.base, schema, {c: fc.sources[c] for c in schema.key if c in fc.sources})
        .select(
            *_raw_distinct(fc, tabled),
            _duplicate_rows(schema).implode().alias("__duplicate_rows"),
        )
        .collect()
    )
    return PreparedFrame(
        schema=schema,
        names=fc.names,
        src=fc.src,
        contract=fc.contract,
        base=fc.base,
        pseudonyms=_pseudonyms(
            hmac, fc.personal, lambda c: hmac.table(_distinct(row[c][0], lambda e: e))
        ),
        valid_ioss=_valid_ioss(fc, row),
        duplicate_rows=row["__duplicate_rows"][0].cast(pl.Int64()),
        latest=latest,
    )


def latest_event_time(interval: date) -> datetime:
    """The latest event time accepted in a file of ``interval``: its end plus the tolerance."""
    start = datetime(interval.year, interval.month, interval.day, tzinfo=UTC)
    return start + timedelta(days=1) + FUTURE_TOLERANCE


def _checks(prep: PreparedFrame) -> list[tuple[pl.Expr, str]]:
    """Every validation as (condition that marks the row bad, reason code), in report order:
    canonical column order (missing, invalid, sign), then ``duplicate_key``."""
    schema = prep.schema
    checks: list[tuple[pl.Expr, str]] = []
    malformed = pl.col(prep.src[MALFORMED]).is_not_null() if MALFORMED in prep.src else None
    for col, dtype in schema.columns.items():
        v, has = pl.col(f"__v_{col}"), pl.col(f"__has_{col}")
        kind = column_kind(col, dtype, schema)
        if col not in schema.nullable:
            checks.append((~has, rj.reason(rj.MISSING, col)))
        if kind != "text":
            checks.append((has & v.is_null(), rj.reason(_INVALID_REASON[kind], col)))
        if col in schema.positive:
            checks.append((v <= 0, rj.reason(rj.NOT_POSITIVE, col)))
        if col in schema.non_negative:
            checks.append((v < 0, rj.reason(rj.NEGATIVE, col)))
    if prep.latest is not None and schema.event_time:
        event = pl.col(f"__v_{schema.event_time}")
        checks.append((event > prep.latest, rj.reason(rj.FUTURE_TIMESTAMP, schema.event_time)))
    if len(prep.duplicate_rows):
        checks.append((pl.col(ROW).is_in(prep.duplicate_rows.implode()), rj.DUPLICATE_KEY))
    if malformed is not None:  # a malformed record has only that reason
        checks = [(malformed, rj.MALFORMED_ROW)] + [(c & ~malformed, r) for c, r in checks]
    return checks


def pseudonym_per_row(hmac: Pseudonymizer, column: str) -> pl.Expr:
    """``__p_<column>``: the HMAC of every row's ``__v_<column>``, in Polars (a text key).

    Cheaper than :func:`pseudonym_lookup` even though it hashes repeated values again: taking
    the distinct values, hashing them and looking every row up cost about twice the CPU of
    hashing every row in Rust (see ``transforms.pseudonymize``). Null stays null.
    """
    return hmac.expr(f"__v_{column}").alias(f"__p_{column}")


def pseudonym_lookup(column: str, table: pl.DataFrame) -> pl.Expr:
    """``__p_<column>``: the pseudonym of ``__v_<column>``, looked up in ``table``.

    ``replace_strict`` (a hash lookup per row, in Rust): an elementwise, order-keeping,
    streamable lookup, cheaper than a join (which would carry every other column through it)
    and than casting to an ``Enum`` of the values (turning a large Enum into an expression
    costs about 0.1 s per 300k values). Null (absent) values stay null.
    """
    return (
        pl.col(f"__v_{column}")
        .replace_strict(table["value"], table["pseudonym"], default=None, return_dtype=pl.String())
        .alias(f"__p_{column}")
    )


def _with_pseudonyms(lf: pl.LazyFrame, lookups: dict[str, pl.Expr]) -> pl.LazyFrame:
    return lf.with_columns(lookups.values()) if lookups else lf


def _output_columns(
    prep: PreparedFrame, source_file: str | None, load_id: str | None
) -> list[pl.Expr]:
    """The good rows' columns (``standardized_schema``) from ``__v_``/``__p_`` columns."""
    schema = prep.schema
    lineage = {
        "source_file": pl.lit(source_file, pl.String()),
        ROW: pl.col(ROW),
        "load_id": pl.lit(load_id, pl.String()),
    }
    out = []
    for col, dtype in schema.standardized_schema.items():
        if col in lineage:
            expr = lineage[col]
        elif col in schema.pseudonymised:
            expr = pl.col(f"__p_{col}") if col in prep.pseudonyms else pl.lit(None, pl.String())
        else:
            expr = pl.col(f"__v_{col}")
        out.append(expr.cast(dtype).alias(col))
    return out


def good_rows(
    prep: PreparedFrame, *, source_file: str | None = None, load_id: str | None = None
) -> pl.LazyFrame:
    """The rows that pass every check, in ``standardized_schema`` (columns, types, order)."""
    bad = pl.any_horizontal(cond for cond, _ in _checks(prep)).fill_null(False)
    lf = _with_pseudonyms(prep.typed().filter(~bad), prep.pseudonyms)
    return lf.select(_output_columns(prep, source_file, load_id))


def _raw_expr(
    names: list[str],
    src: dict[str, str],
    contract: ContractCheck,
    pseudonymised: Iterable[str],
) -> pl.Expr:
    """JSON of the row as read; personal identifiers replaced by their pseudonym (``__p_``)."""
    personal = set(pseudonymised)
    fields: dict[str, pl.Expr] = {}
    for n in names:
        canonical = contract.renames.get(n)
        fields[n] = pl.col(f"__p_{canonical}") if canonical in personal else pl.col(src[n])
    return rj.raw_json(fields)


def rejected_rows(
    prep: PreparedFrame,
    good_source_rows: pl.LazyFrame,
    *,
    source_file: str | None = None,
    load_id: str | None = None,
) -> pl.LazyFrame:
    """The rows whose ``source_row`` is not in ``good_source_rows``, as rejects.

    Rejects are by construction the complement of the good rows: every row is in exactly one
    of the two outputs. Reasons and raw text are computed for the rejected rows only (usually
    few). ``good_source_rows`` is the lazy good frame, or the written good file, scanned.
    """
    bad = prep.base.join(good_source_rows.select(ROW), on=ROW, how="anti", maintain_order="left")
    return _rejects_of(prep, bad, source_file=source_file, load_id=load_id)


def _rejects_of(
    prep: PreparedFrame,
    bad: pl.LazyFrame,
    *,
    source_file: str | None,
    load_id: str | None,
) -> pl.LazyFrame:
    """``bad`` (rows of ``prep.base``) as rejects, with their reasons and raw text."""
    reason = pl.concat_str(
        [pl.when(cond).then(pl.lit(code)) for cond, code in _checks(prep)],
        separator=rj.REASON_SEPARATOR,
        ignore_nulls=True,
    )
    lf = _with_pseudonyms(prep.typed(bad), prep.pseudonyms).with_columns(
        reason.alias("__reason"),
        _raw_expr(prep.names, prep.src, prep.contract, prep.pseudonyms).alias("__raw"),
    )
    return rj.rejects_frame(
        lf,
        reason_col="__reason",
        raw_col="__raw",
        feed=prep.schema.name,
        source_file=source_file,
        load_id=load_id,
    )


def standardize_collected(
    lf: pl.LazyFrame,
    schema: FeedSchema,
    key: bytes,
    *,
    source_file: str | None = None,
    load_id: str | None = None,
    latest: datetime | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """:func:`standardize_frame` for a file already in memory (``lf`` over a DataFrame).

    Same rows, values, pseudonyms and reasons, with less work than the streaming composition
    (which parses every value twice and looks the good rows up again to find the rejects):

    1. a narrow pass takes the distinct raw IOSS numbers (and, for a key that is not UTF-8
       text, the distinct personal identifiers);
    2. Polars parses every column and evaluates every check once, keeping the typed values
       and a bad flag in memory (``__v_<col>``, ``__bad``; about the size of the parsed text);
       the slow path of :func:`typed_columns` only runs for the columns where the fast path
       missed a value; distinct personal identifiers, if any, are hashed meanwhile in a second
       thread (a Python loop);
    3. duplicate keys are found on the kept typed key columns;
    4. good rows are the kept rows not bad, with their pseudonyms (hashed per row by Polars
       as they are written, :func:`pseudonym_per_row`); rejects are the bad rows, whose
       reasons and raw text are computed from their text as in :func:`rejected_rows`.

    Both results are lazy over in-memory data: sink or collect them.
    """
    fc = _file_columns(lf, schema, source_file)
    hmac = Pseudonymizer(key)
    tabled = _tabled(hmac, fc.personal)
    distinct = _raw_distinct(fc, tabled)
    row = fc.base.select(distinct).collect() if distinct else pl.DataFrame()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pseudonyms") as pool:
        # the one Python loop starts first; everything up to the lookup runs beside it
        tables = {c: pool.submit(hmac.table, _distinct(row[c][0], lambda e: e)) for c in tabled}
        prep = PreparedFrame(
            schema=schema,
            names=fc.names,
            src=fc.src,
            contract=fc.contract,
            base=fc.base,
            pseudonyms={},
            valid_ioss=_valid_ioss(fc, row),
            duplicate_rows=pl.Series(ROW, [], dtype=pl.Int64()),
            latest=latest,
        )
        fast = fc.base.with_columns(fast_values(schema, fc.sources, prep.valid_ioss)).collect()
        misses = fast_path_misses(schema, fc.sources)
        flags = fast.select(misses).row(0, named=True) if misses else {}
        slow = [c for c, miss in flags.items() if miss]
        bad = pl.any_horizontal(cond for cond, _ in _checks(prep)).fill_null(False)
        kept = (
            rest_values(fast.lazy(), schema, fc.sources, prep.valid_ioss, slow)
            .select(ROW, *(pl.col(f"__v_{c}") for c in schema.columns), bad.alias("__bad"))
            .collect()
        )
        del fast
        duplicates = _duplicate_rows_of(kept, schema)
        is_bad = pl.col("__bad")
        if len(duplicates):
            is_bad = is_bad | pl.col(ROW).is_in(duplicates.implode())
        bad_rows = kept.lazy().filter(is_bad).select(ROW).collect()
        pseudonyms = _pseudonyms(hmac, fc.personal, lambda c: tables[c].result())
    prep = replace(prep, pseudonyms=pseudonyms, duplicate_rows=duplicates)
    good = kept.lazy().filter(~is_bad) if bad_rows.height else kept.lazy()
    good = _with_pseudonyms(good, pseudonyms).select(_output_columns(prep, source_file, load_id))
    if not bad_rows.height:  # the usual case: skip building the reasons' expressions
        return good, rj.empty_rejects().lazy()
    rejects = _rejects_of(
        prep,
        fc.base.join(bad_rows.lazy(), on=ROW, how="semi", maintain_order="left"),
        source_file=source_file,
        load_id=load_id,
    )
    return good, rejects


def standardize_frame(
    lf: pl.LazyFrame,
    schema: FeedSchema,
    key: bytes,
    *,
    source_file: str | None = None,
    load_id: str | None = None,
    latest: datetime | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Standardise one file's rows: ``(good_lf, rejects_lf)``.

    ``lf`` has String columns (named as in the file, matched to the canonical names ignoring
    case and surrounding blanks) and ``source_row``; ``key`` is the pseudonym key.
    ``good_lf`` has exactly ``schema.standardized_schema`` (columns, types, order; lineage from
    ``source_file``/``load_id``, null when not given); ``rejects_lf`` has ``REJECTS_SCHEMA``.
    Every input row is in exactly one of them.

    ``latest``: event times after it are rejected as ``future_timestamp`` (the standardiser
    passes the end of the data interval plus :data:`FUTURE_TOLERANCE`).

    Raises :class:`MissingColumnsError` when a required column is absent. The per-file lookups
    are computed here (one narrow pass, :func:`prepare_frame`); the rest stays lazy.
    """
    prep = prepare_frame(lf, schema, key, source_file=source_file, latest=latest)
    good = good_rows(prep, source_file=source_file, load_id=load_id)
    rejects = rejected_rows(prep, good, source_file=source_file, load_id=load_id)
    return good, rejects


def reject_whole_file(
    lf: pl.LazyFrame,
    schema: FeedSchema,
    key: bytes,
    *,
    source_file: str | None = None,
    load_id: str | None = None,
) -> pl.LazyFrame:
    """Every row of a file that lacks required columns, as rejects.

    Each row's reason lists the missing columns (``missing_column:<col>``), so the file's rows
    are still accounted for (rows_read = rows_rejected) and can be inspected or replayed.
    Personal identifiers in ``raw`` are pseudonymised as everywhere else.
    """
    names = file_columns(lf)
    contract = check_contract(names, schema)
    reason = rj.REASON_SEPARATOR.join(
        rj.reason(rj.MISSING_COLUMN, c) for c in contract.missing_required
    )
    src, base = internal_names(lf, names)
    sources = {canonical: src[name] for name, canonical in contract.renames.items()}
    personal = [c for c in schema.pseudonymised if c in sources]
    lf = base.with_columns(clean_text(pl.col(sources[c])).alias(f"__v_{c}") for c in personal)
    hmac = Pseudonymizer(key)
    tabled = _tabled(hmac, personal)
    row = (
        lf.select(pl.col(f"__v_{c}").drop_nulls().unique().implode().alias(c) for c in tabled)
        if tabled
        else pl.LazyFrame()
    ).collect()
    pseudonyms = _pseudonyms(hmac, personal, lambda c: hmac.table(row[c][0]))
    framed = _with_pseudonyms(lf, pseudonyms).with_columns(
        pl.lit(reason, pl.String()).alias("__reason"),
        _raw_expr(names, src, contract, pseudonyms).alias("__raw"),
    )
    return rj.rejects_frame(
        framed,
        reason_col="__reason",
        raw_col="__raw",
        feed=schema.name,
        source_file=source_file,
        load_id=load_id,
    )
