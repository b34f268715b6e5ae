"""The dbt project built end to end on tiny standardised feeds (one build for the module).

The fixtures are written the way transforms/ writes standardised Parquet: canonical columns of
transforms.schemas plus lineage, one file per feed and day; the audit records use the schemas of
their writers. ``build_marts`` itself adds the zero-row ``_schema.parquet`` files, as it does on a
fresh CUSTOMS_HOME.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from customs.settings import Settings, load_settings
from customs.snapshot import prepare_snapshot, publish_snapshot
from customs.warehouse import DBT_PROJECT_DIR, DbtBuildError, build_marts
from expectations.results import DQ_RESULTS_SCHEMA
from transforms.schemas import FEEDS, FILE_LOADS_SCHEMA, REJECTS_SCHEMA

FRIDAY = datetime(2026, 10, 23, 9, 30, tzinfo=UTC)
# Saturday 23:30 UTC: a host time zone east of UTC would already call it Sunday.
SATURDAY = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)


def _rows(columns: str, *values: tuple) -> list[dict]:
    return [dict(zip(columns.split(), row, strict=True)) for row in values]


ORDER_DEFAULTS = {
    "ordered_at": datetime(2026, 10, 20, 12, 0, tzinfo=UTC),
    "seller_id": "SELLER1",
    "seller_country": "CN",
    "buyer_id": "b" * 16,
    "buyer_country": "DE",
    "ship_from_country": "CN",
    "title": "an item",
    "origin_country": "CN",
}
ORDERS = _rows(
    "marketplace order_id line_id parcel_id sku hs_code quantity unit_price currency discount",
    # Parcel P1: two lines of one order, listed out of line order.
    ("shopa", "O1", "L2", "P1", "S2", "620640", 1, "10.00", "USD", None),
    ("shopa", "O1", "L1", "P1", "S1", "6106100010", 2, "25.00", "USD", "5.00"),
    # Parcel P2: one line, but declared as two items: item 2 stays unmatched.
    ("bazaar", "O2", "1", "P2", "S3", "850440", 3, "12.50", "USD", None),
    # Parcel P4: a EUR sale imported into the US.
    ("bazaar", "O4", "1", "P4", "S4", "950300", 1, "80.00", "EUR", "8.00"),
)

DECLARATION_DEFAULTS = {
    "declarant_id": "DECL1",
    "importer_id": "i" * 16,
    "seller_id": "SELLER1",
    "description": "goods",
    "origin_country": "CN",
    "gross_mass_kg": "0.500",
}
DECLARATIONS = _rows(
    "declaration_id item_no declared_at jurisdiction parcel_id procedure hs_code quantity "
    "declared_value currency",
    ("D1", 1, SATURDAY, "DE", "P1", "H7", "610610", 2, "30.00", "USD"),
    ("D1", 2, SATURDAY, "DE", "P1", "H7", "620640", 1, "9.00", "USD"),
    ("D2", 1, SATURDAY, "GB", "P2", "H7", "850440", 3, "20.00", "USD"),
    ("D2", 2, SATURDAY, "GB", "P2", "H7", "850440", 1, "7.00", "USD"),
    # Warehouse entry: no parcel, no sale yet.
    ("D3", 1, FRIDAY, "NL", None, "WH", "940360", 100, "5000.00", "CNY"),
    ("D4", 1, FRIDAY, "US", "P4", "H1", "950300", 1, "50.00", "EUR"),
)
# Parcel P1 was sold under the marketplace's IOSS number.
for _item in DECLARATIONS[:2]:
    _item["ioss_number"] = "IM2760000001"
RECEIPTS = _rows(
    "warehouse_id warehouse_country receipt_id lot_id received_at seller_id sku hs_code "
    "origin_country quantity declared_unit_value currency declaration_id",
    ("W1", "NL", "R1", "LOT1", FRIDAY, "SELLER1", "S9", "940360", "CN", 100, "50.00", "CNY", "D3"),
)
DISPATCHES = _rows(
    "warehouse_id dispatch_id dispatched_at order_id line_id sku lot_id quantity",
    ("W1", "X1", SATURDAY, "O9", "1", "S9", "LOT1", 1),
)
INSPECTIONS = _rows(
    "declaration_id inspected_at result assessed_value currency additional_revenue",
    ("D2", SATURDAY, "undervaluation", "37.50", "USD", "3.10"),
)


def _load_id(feed: str, day: date) -> str:
    return f"{feed}:{day}:{feed[:8].ljust(16, '0')}"


def _standardized(feed: str, rows: list[dict], defaults: dict, day: date) -> pl.DataFrame:
    schema = FEEDS[feed].standardized_schema
    records = []
    for number, row in enumerate(rows, start=1):
        record = dict.fromkeys(schema) | defaults | row
        for column, dtype in schema.items():
            if isinstance(dtype, pl.Decimal) and record[column] is not None:
                record[column] = Decimal(record[column])
        record |= {
            "source_file": f"{feed}/{day}/{feed}.csv",
            "source_row": number,
            "load_id": _load_id(feed, day),
        }
        records.append(record)
    return pl.DataFrame(records, schema=schema)


def _write_partition(frame: pl.DataFrame, folder: Path, day: date) -> None:
    """One file in the day's partition, named like transforms/ names it (sha256[:16])."""
    (folder / f"date={day}").mkdir(parents=True, exist_ok=True)
    frame.write_parquet(folder / f"date={day}" / f"{'0' * 16}.parquet")


def write_feeds(settings: Settings, day: date = date(2026, 10, 24)) -> None:
    """Feeds, file loads, one reject and one DQ result for one day; no _schema.parquet files
    (build_marts writes those, as on a fresh CUSTOMS_HOME)."""
    feeds = {
        "orders": (ORDERS, ORDER_DEFAULTS),
        "declarations": (DECLARATIONS, DECLARATION_DEFAULTS),
        "warehouse_receipts": (RECEIPTS, {}),
        "warehouse_dispatches": (DISPATCHES, {}),
        "inspections": (INSPECTIONS, {}),
    }
    for feed, (rows, defaults) in feeds.items():
        _write_partition(
            _standardized(feed, rows, defaults, day), settings.standardized_dir / feed, day
        )
        rejected = int(feed == "orders")
        load = {
            "load_id": _load_id(feed, day),
            "feed": feed,
            "source_file": f"{feed}/{day}/{feed}.csv",
            "sha256": feed.ljust(64, "0"),
            "data_interval": day,
            "rows_read": len(rows) + rejected,
            "rows_standardized": len(rows),
            "rows_rejected": rejected,
            "loaded_at": datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
            "status": "loaded",
            "message": None,
        }
        _write_partition(
            pl.DataFrame([load], schema=FILE_LOADS_SCHEMA),
            settings.audit_dir / "file_loads" / feed,
            day,
        )
    reject = {
        "load_id": _load_id("orders", day),
        "feed": "orders",
        "source_file": f"orders/{day}/orders.csv",
        "source_row": len(ORDERS) + 1,
        "reason": "quantity: not a positive integer",
        "raw": "shopa,O9,1,...,-1,...",
    }
    _write_partition(
        pl.DataFrame([reject], schema=REJECTS_SCHEMA), settings.rejects_dir / "orders", day
    )
    result = {
        "run_id": "manual__2026-10-25",
        "suite": "orders",
        "data_interval": day,
        "expectation_type": "expect_column_values_to_not_be_null",
        "column": "order_id",
        "severity": "critical",
        "success": True,
        "observed_value": None,
        "unexpected_count": 0,
        "details": "{}",
        "checked_at": datetime(2026, 10, 25, 1, 5, tzinfo=UTC),
    }
    _write_partition(
        pl.DataFrame([result], schema=DQ_RESULTS_SCHEMA),
        settings.audit_dir / "dq_results" / "orders",
        day,
    )


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("customs_home")
    settings = load_settings({"CUSTOMS_HOME": str(home)})
    write_feeds(settings)
    return settings


@pytest.fixture(scope="module")
def build(settings: Settings):
    return build_marts(settings, unit_tests=True)


@pytest.fixture(scope="module")
def fct(build, settings: Settings) -> pl.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql("select * from marts.fct_customs_valuation").pl()


def _rate(settings: Settings, currency: str, day: date) -> Decimal:
    rates = pl.read_parquet(settings.reference_dir / "fx_rates.parquet")
    (rate,) = rates.filter((pl.col("currency") == currency) & (pl.col("rate_date") == day))[
        "rate_per_eur"
    ].to_list()
    return rate


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _row(fct: pl.DataFrame, declaration_id: str, item_no: int) -> dict:
    (row,) = fct.filter(
        (pl.col("declaration_id") == declaration_id) & (pl.col("item_no") == item_no)
    ).to_dicts()
    return row


def test_build_passes_with_unit_tests_and_contracts(build) -> None:
    assert build.failures == []
    assert build.unit_tests >= 4
    # Every rule table in dbt_project/seeds/ is loaded.
    assert build.seeds == len(list((DBT_PROJECT_DIR / "seeds").glob("*.csv")))
    assert build.models >= 20
    assert build.unit_tests >= 14
    assert build.tests > 20
    assert build.row_counts["marts.fct_customs_valuation"] == len(DECLARATIONS)


def test_every_declaration_item_valued_once(fct: pl.DataFrame) -> None:
    keys = sorted(zip(fct["declaration_id"], fct["item_no"], strict=True))
    assert keys == sorted((d["declaration_id"], d["item_no"]) for d in DECLARATIONS)


def test_matched_item_valued_at_transaction_value_in_eur(fct, settings) -> None:
    row = _row(fct, "D1", 1)
    # EU (Implementing Regulation 2015/2447 Art. 146): declared in October, the rate of the
    # penultimate Wednesday of September applies.
    wednesday = date(2026, 9, 23)
    usd = _rate(settings, "USD", wednesday)
    assert row["valuation_method"] == "transaction"
    assert row["matched_line_id"] == "L1"
    assert row["transaction_value"] == Decimal("45.0000")  # 2 x 25.00 - 5.00
    assert row["fx_rule"] == "eu_penultimate_wednesday_of_previous_month"
    assert row["fx_rate_date"] == wednesday
    assert row["jurisdiction_currency"] == "EUR"
    assert row["customs_value"] == _cents(Decimal(45) / usd)
    assert row["value_gap"] == row["customs_value"] - _cents(Decimal(30) / usd)


def test_cross_rate_through_the_euro(fct, settings) -> None:
    row = _row(fct, "D2", 1)
    friday = date(2026, 10, 23)
    usd, gbp = _rate(settings, "USD", friday), _rate(settings, "GBP", friday)
    assert row["jurisdiction_currency"] == "GBP"
    assert row["fx_rule"] == "ecb_reference_rate_of_valuation_date"
    assert row["fx_rate_date"] == friday
    assert row["transaction_value"] == Decimal("37.5000")  # 3 x 12.50
    assert abs(row["customs_value"] - Decimal("37.50") / usd * gbp) <= Decimal("0.005")
    assert row["customs_value"] == _cents(Decimal("37.50") * row["fx_rate_transaction"])


def test_unmatched_items_are_valued_at_declared_value(fct) -> None:
    for declaration_id, item_no in [("D2", 2), ("D3", 1)]:
        row = _row(fct, declaration_id, item_no)
        assert row["valuation_method"] == "declared"
        assert row["has_order_match"] is False
        assert row["transaction_value"] is None
        assert row["customs_value"] == row["declared_value_jc"]
        assert row["value_gap"] == 0
    assert _row(fct, "D3", 1)["procedure"] == "WH"


def test_lineage_points_at_both_loads(fct, settings) -> None:
    row = _row(fct, "D4", 1)
    assert row["load_id"] == _load_id("declarations", date(2026, 10, 24))
    assert row["order_load_id"] == _load_id("orders", date(2026, 10, 24))
    assert row["source_file"] == "declarations/2026-10-24/declarations.csv"
    assert row["source_row"] == 6
    # A EUR sale imported into the US: 1 x 80.00 - 8.00 EUR at Friday's USD rate.
    usd = _rate(settings, "USD", date(2026, 10, 23))
    assert row["customs_value"] == _cents(Decimal("72.00") * usd)


def test_eu_parcel_pays_flat_duty_per_hs6_and_vat_through_the_ioss(fct) -> None:
    """P1 to DE on 2026-10-24 (after 2026-07-01), under EUR 150, two HS6: EUR 3 + EUR 3 of
    flat duty, no ad valorem duty, German VAT (19%) on value + flat duty, paid via the IOSS."""
    items = [_row(fct, "D1", 1), _row(fct, "D1", 2)]
    assert sum(item["flat_duty_jc"] for item in items) == Decimal("6.00")
    for item in items:
        assert item["low_value_regime"] == "eu_flat_duty_3_per_hs6"
        assert item["duty_jc"] == 0
        assert item["import_tax_rate_pct"] == Decimal("19.00")
        assert item["import_tax_collection"] == "ioss"
        assert item["import_tax_jc"] == _cents(
            (item["customs_value"] + item["flat_duty_jc"]) * Decimal("0.19")
        )


def test_valuation_marts_are_built(build, settings) -> None:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ioss = con.sql("select * from marts.rpt_ioss_monthly_return").pl()
        lots = con.sql("select * from marts.fct_warehouse_lot_valuation").pl()
        monthly = con.sql("select * from marts.rpt_valuation_monthly").pl()
        fct_total = con.execute("select sum(customs_value) from marts.fct_customs_valuation")
        (customs_total,) = fct_total.fetchone()
    (ioss_row,) = ioss.to_dicts()
    assert ioss_row["ioss_number"] == "IM2760000001"
    assert ioss_row["member_state_of_consumption"] == "DE"
    assert ioss_row["is_correction"] is False
    assert ioss_row["vat_rate_pct"] == Decimal("19.00")
    assert lots["lot_id"].to_list() == ["LOT1"]
    # The lot's only dispatch sold through an order the feeds do not hold: no deductive value.
    assert lots["has_qualifying_sales"].to_list() == [False]
    assert monthly["item_count"].sum() == len(DECLARATIONS)
    assert monthly["customs_value_jc"].sum() == customs_total


def test_audit_tables(build, settings) -> None:
    assert build.row_counts["audit.file_loads"] == 5
    assert build.row_counts["audit.rejects"] == 1
    assert build.row_counts["audit.dq_results"] == 1
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        (column,) = con.execute("select column_name from audit.dq_results").fetchone()
    assert column == "order_id"


def test_publish_copies_the_build_file_again_if_it_changed_during_the_copy(
    build, settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """publish copies the build file while it exports the Parquet files; a file whose size or
    modification time moved meanwhile is copied again, and the snapshot is still whole."""
    import customs.snapshot as snapshot

    states = iter([(1, 1)])  # after the checkpoint; then (2, 2): changed during the copy
    monkeypatch.setattr(snapshot, "_file_state", lambda path: next(states, (2, 2)))
    copies = _count_copies(monkeypatch)
    with caplog.at_level("WARNING", logger="customs.snapshot"):
        published = publish_snapshot(settings)
    assert len(copies) == 2 and "changed while it was copied" in caplog.text
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_customs_valuation").fetchone() == (6,)
    assert not copies[0].exists()  # the temporary copy was renamed onto the snapshot


def _count_copies(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The targets of the snapshot's copies of the build file, as they are made."""
    import customs.snapshot as snapshot

    copies: list[Path] = []
    copy = snapshot._copy_durably
    monkeypatch.setattr(
        snapshot,
        "_copy_durably",
        lambda source, target: copies.append(target) or copy(source, target),
    )
    return copies


def _published_files(settings) -> dict[str, int]:
    """What readers see under published/ (not the prepared snapshot's folder)."""
    return {
        str(path.relative_to(settings.published_dir)): path.stat().st_mtime_ns
        for path in sorted(settings.published_dir.rglob("*"))
        if path.is_file() and ".next" not in path.parts
    }


def test_a_prepared_snapshot_is_swapped_in_without_copying_again(
    build, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prepare_snapshot (the marts DAG runs it beside the mart checks) changes nothing readers
    see; publish then moves its files into place and copies nothing. A snapshot prepared from
    a build file that changed since (a later build) is prepared again at publish."""
    publish_snapshot(settings)
    parcels = "item_no = 1 and procedure != 'WH'"
    with duckdb.connect(str(settings.warehouse_path)) as con:  # a change to publish
        kept = con.execute(
            f"select declaration_id, description from marts.fct_customs_valuation where {parcels}"
        ).fetchall()
        con.execute(f"update marts.fct_customs_valuation set description = 'next' where {parcels}")
    before = _published_files(settings)
    copies = _count_copies(monkeypatch)

    prepared = prepare_snapshot(settings)
    assert _published_files(settings) == before
    assert len(copies) == 1 and (prepared / "warehouse.duckdb").exists()
    staged = {p.name for p in (prepared / "parquet").rglob("*.parquet")}
    assert staged and "_wh" not in "".join(staged)  # the changed parcels' days, nothing else

    published = publish_snapshot(settings)
    assert len(copies) == 1  # swapped in: no second copy
    assert not prepared.exists()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute(
            "select count(*) from marts.fct_customs_valuation where description = 'next'"
        ).fetchone() != (0,)
    parquet = settings.published_dir / "parquet" / "marts" / "fct_customs_valuation"
    assert "next" in pl.read_parquet(sorted(parquet.glob("*.parquet")))["description"].to_list()

    prepare_snapshot(settings)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # a build after the preparation
        con.execute(f"update marts.fct_customs_valuation set description = 'later' where {parcels}")
    published = publish_snapshot(settings)
    assert len(copies) == 3  # prepared again from the changed file
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute(
            "select count(*) from marts.fct_customs_valuation where description = 'next'"
        ).fetchone() == (0,)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # as the build left it
        con.executemany(
            "update marts.fct_customs_valuation set description = ? "
            "where declaration_id = ? and item_no = 1",
            [(description, declaration) for declaration, description in kept],
        )


def test_publish_swaps_the_snapshot_under_an_open_reader(build, settings) -> None:
    first = publish_snapshot(settings)
    assert first == settings.published_path
    reader = duckdb.connect(str(first), read_only=True)
    try:
        publish_snapshot(settings)
        assert reader.execute("select count(*) from marts.fct_customs_valuation").fetchone()[0] == 6
        with duckdb.connect(str(settings.published_path), read_only=True) as fresh:
            assert fresh.execute("select count(*) from marts.fct_customs_valuation").fetchone() == (
                6,
            )
            # Views resolve inside the copy too (no reference to the build file's catalog).
            assert (
                fresh.execute(
                    "select count(distinct declaration_id) from staging.stg_customs_feeds__declarations"
                ).fetchone()[0]
                > 0
            )
            # The intermediate models are in their own file, which is not published.
            schemas = {
                r[0] for r in fresh.execute("select schema_name from duckdb_schemas()").fetchall()
            }
            assert "marts" in schemas and "intermediate" not in schemas
    finally:
        reader.close()
    with duckdb.connect(str(settings.intermediate_warehouse_path), read_only=True) as work:
        assert work.execute(
            "select count(*) from intermediate.int_declaration_items_valued"
        ).fetchone() == (6,)
    exported = settings.published_dir / "parquet"
    by_day = sorted((exported / "marts" / "fct_customs_valuation").glob("*.parquet"))
    assert by_day and pl.read_parquet(by_day).height == 6
    assert pl.read_parquet(exported / "audit" / "file_loads.parquet").height == 5
    assert not list(settings.published_dir.glob("*.tmp-*"))


def test_broken_row_fails_the_build_naming_the_test(tmp_path) -> None:
    """A fresh home whose only data is a declaration for an unknown jurisdiction: the empty feeds
    and audit folders read fine (zero-row _schema.parquet), the mart's tests catch the row."""
    broken = load_settings({"CUSTOMS_HOME": str(tmp_path / "home")})
    day = date(2026, 10, 25)
    bad = _standardized(
        "declarations",
        [DECLARATIONS[0] | {"declaration_id": "D9", "jurisdiction": "ZZ"}],
        DECLARATION_DEFAULTS,
        day,
    )
    _write_partition(bad, broken.standardized_dir / "declarations", day)

    with pytest.raises(DbtBuildError) as raised:
        build_marts(broken)

    assert "relationships_fct_customs_valuation_jurisdiction" in str(raised.value)
    assert "not_null_fct_customs_valuation_customs_value" in str(raised.value)
    assert all("fct_customs_valuation" in failure for failure in raised.value.failures)
    with duckdb.connect(str(broken.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from audit.file_loads").fetchone() == (0,)
        assert con.execute("select count(*) from audit.dq_results").fetchone() == (0,)
