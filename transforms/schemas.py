"""The canonical feed contracts of DESIGN.md, as Polars schemas.

Everything downstream (standardisation, expectation suites, dbt sources, the generator) reads the
column lists and roles from here, so a feed's contract is written down exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(18, 4)
MASS = pl.Decimal(18, 3)

LINEAGE: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "source_row": pl.Int64(),
    "load_id": pl.String(),
}

PROCEDURES = ("H7", "H1", "WH")
INSPECTION_RESULTS = (
    "no_irregularity",
    "undervaluation",
    "misclassification",
    "split_consignment",
    "other",
)


@dataclass(frozen=True)
class FeedSchema:
    """A feed's canonical columns and the role each one plays in validation."""

    name: str
    columns: dict[str, pl.DataType]
    key: tuple[str, ...]
    nullable: frozenset[str] = frozenset()
    countries: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    hs_codes: tuple[str, ...] = ()
    ioss_numbers: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    pseudonymised: tuple[str, ...] = ()
    allowed_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    event_time: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.nullable)

    @property
    def standardized_schema(self) -> dict[str, pl.DataType]:
        """Columns of the standardised Parquet: canonical columns then lineage."""
        return {**self.columns, **LINEAGE}


ORDERS = FeedSchema(
    name="orders",
    columns={
        "marketplace": pl.String(),
        "order_id": pl.String(),
        "line_id": pl.String(),
        "ordered_at": UTC_TS,
        "seller_id": pl.String(),
        "seller_country": pl.String(),
        "buyer_id": pl.String(),
        "buyer_country": pl.String(),
        "ship_from_country": pl.String(),
        "warehouse_id": pl.String(),
        "parcel_id": pl.String(),
        "sku": pl.String(),
        "title": pl.String(),
        "hs_code": pl.String(),
        "origin_country": pl.String(),
        "quantity": pl.Int64(),
        "unit_price": MONEY,
        "currency": pl.String(),
        "discount": MONEY,
        "shipping_fee": MONEY,
        "insurance_fee": MONEY,
        "ioss_number": pl.String(),
    },
    key=("marketplace", "order_id", "line_id"),
    nullable=frozenset(
        {"warehouse_id", "hs_code", "discount", "shipping_fee", "insurance_fee", "ioss_number"}
    ),
    countries=("seller_country", "buyer_country", "ship_from_country", "origin_country"),
    currencies=("currency",),
    hs_codes=("hs_code",),
    ioss_numbers=("ioss_number",),
    positive=("quantity",),
    non_negative=("unit_price", "discount", "shipping_fee", "insurance_fee"),
    pseudonymised=("buyer_id",),
    event_time="ordered_at",
)

DECLARATIONS = FeedSchema(
    name="declarations",
    columns={
        "declaration_id": pl.String(),
        "item_no": pl.Int32(),
        "declared_at": UTC_TS,
        "jurisdiction": pl.String(),
        "declarant_id": pl.String(),
        "importer_id": pl.String(),
        "seller_id": pl.String(),
        "parcel_id": pl.String(),
        "ioss_number": pl.String(),
        "procedure": pl.String(),
        "hs_code": pl.String(),
        "description": pl.String(),
        "origin_country": pl.String(),
        "quantity": pl.Int64(),
        "gross_mass_kg": MASS,
        "declared_value": MONEY,
        "currency": pl.String(),
        "transport_cost": MONEY,
        "insurance_cost": MONEY,
    },
    key=("declaration_id", "item_no"),
    nullable=frozenset({"parcel_id", "ioss_number", "transport_cost", "insurance_cost"}),
    countries=("jurisdiction", "origin_country"),
    currencies=("currency",),
    hs_codes=("hs_code",),
    ioss_numbers=("ioss_number",),
    positive=("quantity", "item_no"),
    non_negative=("gross_mass_kg", "declared_value", "transport_cost", "insurance_cost"),
    pseudonymised=("importer_id",),
    allowed_values={"procedure": PROCEDURES},
    event_time="declared_at",
)

WAREHOUSE_RECEIPTS = FeedSchema(
    name="warehouse_receipts",
    columns={
        "warehouse_id": pl.String(),
        "warehouse_country": pl.String(),
        "receipt_id": pl.String(),
        "lot_id": pl.String(),
        "received_at": UTC_TS,
        "seller_id": pl.String(),
        "sku": pl.String(),
        "hs_code": pl.String(),
        "origin_country": pl.String(),
        "quantity": pl.Int64(),
        "declared_unit_value": MONEY,
        "currency": pl.String(),
        "declaration_id": pl.String(),
    },
    key=("warehouse_id", "receipt_id", "lot_id"),
    nullable=frozenset({"declaration_id"}),
    countries=("warehouse_country", "origin_country"),
    currencies=("currency",),
    hs_codes=("hs_code",),
    positive=("quantity",),
    non_negative=("declared_unit_value",),
    event_time="received_at",
)

WAREHOUSE_DISPATCHES = FeedSchema(
    name="warehouse_dispatches",
    columns={
        "warehouse_id": pl.String(),
        "dispatch_id": pl.String(),
        "dispatched_at": UTC_TS,
        "order_id": pl.String(),
        "line_id": pl.String(),
        "sku": pl.String(),
        "lot_id": pl.String(),
        "quantity": pl.Int64(),
    },
    key=("warehouse_id", "dispatch_id"),
    nullable=frozenset({"lot_id"}),
    positive=("quantity",),
    event_time="dispatched_at",
)

INSPECTIONS = FeedSchema(
    name="inspections",
    columns={
        "declaration_id": pl.String(),
        "inspected_at": UTC_TS,
        "result": pl.String(),
        "assessed_value": MONEY,
        "currency": pl.String(),
        "additional_revenue": MONEY,
    },
    key=("declaration_id", "inspected_at"),
    nullable=frozenset({"assessed_value"}),
    currencies=("currency",),
    non_negative=("assessed_value", "additional_revenue"),
    allowed_values={"result": INSPECTION_RESULTS},
    event_time="inspected_at",
)

FEEDS: dict[str, FeedSchema] = {
    f.name: f for f in (ORDERS, DECLARATIONS, WAREHOUSE_RECEIPTS, WAREHOUSE_DISPATCHES, INSPECTIONS)
}
FEED_NAMES: tuple[str, ...] = tuple(FEEDS)

# --- Added with the landing/standardisation code: the audit and rejects contracts -------------
# (dbt's audit models and the expectation suites read these; written by transforms/.)

MANIFEST_SCHEMA: dict[str, pl.DataType] = {
    "feed": pl.String(),
    "source": pl.String(),
    "data_interval": pl.Date(),
    "source_file": pl.String(),
    "original_name": pl.String(),
    "sha256": pl.String(),
    "size_bytes": pl.Int64(),
    "received_at": UTC_TS,
    "load_id": pl.String(),
    "is_duplicate": pl.Boolean(),
    "duplicate_of": pl.String(),
}
"""``landing/_manifest/<feed>/date=<day>/<sha256[:16]>.parquet``: one row per delivered file."""

REJECTS_SCHEMA: dict[str, pl.DataType] = {
    "load_id": pl.String(),
    "feed": pl.String(),
    "source_file": pl.String(),
    "source_row": pl.Int64(),
    "reason": pl.String(),
    "raw": pl.String(),
}
"""``rejects/<feed>/date=<day>/<sha256[:16]>.parquet``: one row per rejected input row."""

FILE_LOAD_STATUSES = ("loaded", "rejected_file")

FILE_LOADS_SCHEMA: dict[str, pl.DataType] = {
    "load_id": pl.String(),
    "feed": pl.String(),
    "source_file": pl.String(),
    "sha256": pl.String(),
    "data_interval": pl.Date(),
    "rows_read": pl.Int64(),
    "rows_standardized": pl.Int64(),
    "rows_rejected": pl.Int64(),
    "loaded_at": UTC_TS,
    "status": pl.String(),
    "message": pl.String(),
}
"""``audit/file_loads/<feed>/date=<day>/<sha256[:16]>.parquet``: one row per file load."""
