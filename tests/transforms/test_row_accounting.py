"""Row accounting on a corpus of broken inputs: nothing is lost, counts reconcile per file.

Every file of the corpus is landed and standardised in one interval. For each file the audit row
says rows_read = rows_standardized + rows_rejected, and those counts are exactly the rows found
in ``standardized/`` and ``rejects/`` for that file; each kind of damage gets its reason code,
and files that cannot be read at all are rejected whole with a message naming them.
"""

from __future__ import annotations

import gzip
from datetime import timedelta

import polars as pl
import pytest
from transform_fixtures import DAY, csv_bytes, jsonl_bytes, order, orders

from transforms.landing import land_interval
from transforms.standardize import standardize_interval

GOOD = csv_bytes(orders(3))
HEADER, *LINES = GOOD.decode().splitlines()


def _csv(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")


# name → (bytes, expected (status, read, standardized, rejected), expected reasons)
CORPUS: dict[str, tuple[bytes, tuple[str, int, int, int], set[str]]] = {
    "good.csv": (GOOD, ("loaded", 3, 3, 0), set()),
    "more_fields.csv": (
        _csv(LINES[0], LINES[1] + ",extra,x", LINES[2]),
        ("loaded", 3, 2, 1),
        {"malformed_row"},
    ),
    "fewer_fields.csv": (
        _csv(LINES[0], ",".join(LINES[1].split(",")[:5]), LINES[2]),
        ("loaded", 3, 2, 1),
        {"missing:seller_country"},
    ),
    "unterminated_quote.csv": (
        _csv(LINES[0], LINES[1].replace("a silk blouse", '"a silk blouse'), LINES[2]),
        ("loaded", 2, 1, 1),  # the open quote swallows the next line: one malformed record
        {"malformed_row"},
    ),
    "stray_quotes.csv": (
        _csv(LINES[0], LINES[1].replace("a silk blouse", 'a "silk" blouse"'), LINES[2]),
        ("loaded", 3, 3, 0),  # a quote inside an unquoted field is a character
        set(),
    ),
    "bad_values.csv": (
        csv_bytes(
            [
                order(line_id="1", unit_price="-1.00"),
                order(line_id="2", unit_price="abc"),
                order(line_id="3", currency="RMB"),
                order(line_id="4", buyer_country="UK"),
                order(line_id="5", hs_code="62O610"),
                order(line_id="6", ordered_at="2027-01-01T00:00:00Z"),
                order(line_id="7"),
                order(line_id="7"),
                order(line_id="8", quantity="2.5"),
            ]
        ),
        ("loaded", 9, 1, 8),
        {
            "negative:unit_price",
            "invalid_decimal:unit_price",
            "invalid_currency:currency",
            "invalid_country:buyer_country",
            "invalid_hs_code:hs_code",
            "future_timestamp:ordered_at",
            "duplicate_key",
            "invalid_integer:quantity",
        },
    ),
    "empty.csv": (b"", ("loaded", 0, 0, 0), set()),
    "header_only.csv": (_csv(), ("loaded", 0, 0, 0), set()),
    "empty.jsonl": (b"\n\n", ("loaded", 0, 0, 0), set()),
    "truncated.csv.gz": (
        gzip.compress(csv_bytes(orders(5, sku="T")))[:-20],
        ("rejected_file", 0, 0, 0),
        set(),
    ),
    "truncated.jsonl.gz": (
        gzip.compress(jsonl_bytes(orders(4, sku="J")))[:-10],
        ("rejected_file", 0, 0, 0),
        set(),
    ),
    "windows1252.csv": (
        csv_bytes(orders(2, title="Crème brûlée")).decode().encode("cp1252"),
        ("rejected_file", 0, 0, 0),
        set(),
    ),
    "broken.jsonl": (
        jsonl_bytes(orders(2, sku="B")) + b'{"order_id": "x",\n',
        ("rejected_file", 0, 0, 0),
        set(),
    ),
    "no_order_id.csv": (
        csv_bytes([{k: v for k, v in order(sku="N").items() if k != "order_id"}]),
        ("rejected_file", 1, 0, 1),
        {"missing_column:order_id"},
    ),
}


@pytest.fixture
def loaded(settings, deliver):
    for name, (data, _, _) in CORPUS.items():
        deliver(name, data)
    land_interval(settings, "orders", DAY, settings.source_dir)
    summary = standardize_interval(settings, "orders", DAY)
    part = f"orders/date={DAY.isoformat()}/*.parquet"
    audit = pl.read_parquet(settings.audit_dir / "file_loads" / part)
    good = pl.read_parquet(settings.standardized_dir / part)
    rejects = pl.read_parquet(settings.rejects_dir / part)
    return summary, audit, good, rejects


def test_every_file_reconciles_and_matches_its_outputs(loaded):
    summary, audit, good, rejects = loaded
    assert audit.height == len(CORPUS)
    good_n = dict(good.group_by("source_file").len().iter_rows())
    bad_n = dict(rejects.group_by("source_file").len().iter_rows())
    for row in audit.iter_rows(named=True):
        name = row["source_file"].rsplit("/", 1)[1]
        status, read, standardized, rejected = CORPUS[name][1]
        got = (row["status"], row["rows_read"], row["rows_standardized"], row["rows_rejected"])
        assert got == (status, read, standardized, rejected), name
        assert row["rows_read"] == row["rows_standardized"] + row["rows_rejected"], name
        assert good_n.get(row["source_file"], 0) == row["rows_standardized"], name
        assert bad_n.get(row["source_file"], 0) == row["rows_rejected"], name
    assert summary.rows_read == summary.rows_standardized + summary.rows_rejected
    assert summary.rows_read == good.height + rejects.height


def test_each_kind_of_damage_has_its_reason(loaded):
    _, _, _, rejects = loaded
    for name, (_, _, reasons) in CORPUS.items():
        got = set()
        for value in rejects.filter(pl.col("source_file").str.ends_with("/" + name))["reason"]:
            got |= set(value.split(";"))
        assert reasons <= got, (name, got)
        if not reasons:
            assert not got, name
    malformed = rejects.filter(pl.col("reason") == "malformed_row")
    assert malformed["raw"].str.contains("fields, expected 22").all()


def test_unreadable_files_fail_loudly_by_name_and_do_not_stop_the_others(loaded):
    summary, audit, _, _ = loaded
    rejected = {r.rsplit(": file", 1)[0].split(": required")[0] for r in summary.file_errors}
    names = {p.rsplit("/", 1)[1] for p in rejected}
    assert names == {n for n, (_, exp, _) in CORPUS.items() if exp[0] == "rejected_file"}
    messages = dict(zip(audit["source_file"], audit["message"], strict=True))
    assert "order_id" in messages[f"orders/{DAY.isoformat()}/no_order_id.csv"]
    assert "utf-8" in messages[f"orders/{DAY.isoformat()}/windows1252.csv"]


def test_a_late_file_for_an_earlier_day_reprocesses_that_day_only(settings, deliver):
    day2 = DAY + timedelta(days=1)
    deliver("orders.csv", GOOD)
    deliver("orders.csv", csv_bytes(orders(2, ordered_at="2026-09-02T08:00:00Z")), day=day2)
    for day in (DAY, day2):
        land_interval(settings, "orders", day, settings.source_dir)
        standardize_interval(settings, "orders", day)
    later = settings.standardized_dir / "orders" / f"date={day2.isoformat()}"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in later.iterdir()}

    deliver("late-orders.csv", csv_bytes(orders(4, order_id="LATE")))  # arrives on day 2+
    land_interval(settings, "orders", DAY, settings.source_dir)
    summary = standardize_interval(settings, "orders", DAY)

    assert (summary.files, summary.rows_standardized) == (2, 7)
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in later.iterdir()}
    assert after == before  # day 2 untouched
    good = pl.read_parquet(settings.standardized_dir / "orders" / f"date={DAY}" / "*.parquet")
    assert good.filter(pl.col("order_id") == "LATE").height == 4
