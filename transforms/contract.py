"""File-level contract: how a file's columns match a feed's canonical columns.

A required canonical column missing rejects the whole file (:class:`MissingColumnsError`);
columns the feed does not know are dropped from the output and reported once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from transforms.schemas import FeedSchema

ROW = "source_row"
MALFORMED = "_malformed_row"  # transforms.readers.canonical.MALFORMED


@dataclass(frozen=True)
class ContractCheck:
    """How a file's columns match a feed's canonical columns."""

    renames: dict[str, str]
    """Source column name → canonical name (names match after trimming and lower-casing)."""
    missing_required: tuple[str, ...]
    missing_nullable: tuple[str, ...]
    """Nullable canonical columns the file does not have: they are null in the output."""
    extra: tuple[str, ...]
    """Source columns that are not canonical: dropped from the output, kept in rejects' raw."""

    @property
    def ok(self) -> bool:
        return not self.missing_required


class MissingColumnsError(ValueError):
    """A file lacks required canonical columns: the whole file is rejected."""

    def __init__(self, missing: Iterable[str], source_file: str | None = None) -> None:
        self.missing = tuple(missing)
        self.source_file = source_file
        where = f"{source_file}: " if source_file else ""
        plural = "s" if len(self.missing) > 1 else ""
        super().__init__(f"{where}required column{plural} missing: {', '.join(self.missing)}")


def check_contract(columns: Iterable[str], schema: FeedSchema) -> ContractCheck:
    """Match a file's column names against ``schema`` (case and surrounding blanks ignored)."""
    renames: dict[str, str] = {}
    extra: list[str] = []
    for name in columns:
        if name in (ROW, MALFORMED):
            continue
        canonical = name.strip().lower()
        if canonical in schema.columns and canonical not in renames.values():
            renames[name] = canonical
        else:
            extra.append(name)
    found = set(renames.values())
    absent = [c for c in schema.columns if c not in found]
    return ContractCheck(
        renames=renames,
        missing_required=tuple(c for c in absent if c not in schema.nullable),
        missing_nullable=tuple(c for c in absent if c in schema.nullable),
        extra=tuple(extra),
    )


def file_columns(lf: pl.LazyFrame) -> list[str]:
    """The file's own column names (without ``source_row``)."""
    return [n for n in lf.collect_schema().names() if n != ROW]


def internal_names(lf: pl.LazyFrame, names: list[str]) -> tuple[dict[str, str], pl.LazyFrame]:
    """Rename the file's columns to positional internal names (no clash with anything we add)."""
    src = {name: f"__src{i}" for i, name in enumerate(names)}
    base = lf.select(pl.col(ROW).cast(pl.Int64()), *(pl.col(n).alias(src[n]) for n in names))
    return src, base
