"""``generate``: the whole sample, from the world to the files.

Randomness is derived, never shared: the world from ``(seed, scale)``, each day's orders,
declarations and inspections from ``(seed, day)``, the warehouses from ``(seed, start, days)``.
So the same arguments give byte-identical files, and the orders of a given day do not depend on
the window around it (their declarations and the warehouse flows do: they cross days).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from customs.generator import catalogue as cat
from customs.generator import world as W
from customs.generator.declarations import ANOMALY_NAMES, declare_direct
from customs.generator.ids import affine, with_prefix
from customs.generator.inspections import RESULTS, inspect
from customs.generator.orders import direct_orders
from customs.generator.warehouse import WH_COUNTRY, simulate
from customs.generator.world import World, build_world, buyer_id_expr
from customs.generator.writer import nullable, take, write_feed, write_parquet
from transforms.schemas import (
    DECLARATIONS,
    INSPECTIONS,
    ORDERS,
    WAREHOUSE_DISPATCHES,
    WAREHOUSE_RECEIPTS,
)

UNIX_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
PARCEL_SERVICES = ("LP", "LX", "UA", "RB", "YT", "CN", "JT", "EA")
PROCEDURE_CODES = ("H7", "H1", "WH")

_COUNTRIES = pl.Series(W.COUNTRIES)
_CURRENCIES = pl.Series(W.CURRENCIES)
_MP_CODES = pl.Series([m.code for m in cat.MARKETPLACES])
_MP_PREFIX = pl.Series([m.order_prefix for m in cat.MARKETPLACES])
_WAREHOUSE_IDS = pl.Series([w.warehouse_id for w in cat.WAREHOUSES])
_DESCRIPTIONS = pl.concat([W.PRODUCT_DESCRIPTION, pl.Series(cat.VAGUE_DESCRIPTIONS)])


@dataclass(frozen=True)
class GenerateResult:
    rows: dict[str, int]
    labels: int
    landing_dir: Path
    labels_path: Path
    seconds: float
    api_dir: Path | None = None
    """Order API pages (``source_formats=True``), for ``customs serve-sample``."""


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _day_of(epoch_seconds: np.ndarray) -> np.ndarray:
    return epoch_seconds // 86400 + UNIX_EPOCH_ORDINAL


# identifier expressions ------------------------------------------------------------------
def _order_id(prefix: str, num: str) -> pl.Expr:
    return with_prefix(pl.col(prefix), pl.col(num), 14)


def _parcel_id(num: str) -> pl.Expr:
    service = (pl.col(num) % len(PARCEL_SERVICES)).replace_strict(
        dict(enumerate(PARCEL_SERVICES)), default=None, return_dtype=pl.String
    )
    return with_prefix(service, pl.col(num), 14)


def _declaration_id(num: str, at: str, country: str) -> pl.Expr:
    """MRN-like: 2-digit year, jurisdiction, 14 digits (18 characters)."""
    year = pl.from_epoch(pl.col(at), time_unit="s").dt.strftime("%y")
    return pl.concat_str([year, pl.col(country), pl.col(num).cast(pl.String).str.zfill(14)])


def _rep_id(rep: str) -> pl.Expr:
    """EORI-like id of a fiscal representative: its country then 12 digits."""
    country = (pl.col(rep) // 8).replace_strict(
        dict(enumerate(W.COUNTRIES)), default=None, return_dtype=pl.String
    )
    number = pl.col(rep).map_batches(
        lambda s: pl.Series(affine(s.to_numpy(), 10**12, 48_271_983, 600_613_000_123)),
        return_dtype=pl.Int64,
    )
    return with_prefix(country, number, 12)


def _hs_code(
    world: World, product: np.ndarray, extra: np.ndarray, extra_len: np.ndarray
) -> pl.Series:
    frame = pl.DataFrame({"hs6": W.PRODUCT_HS6.gather(product), "extra": extra, "n": extra_len})
    return frame.select(
        pl.concat_str(
            [
                pl.col("hs6"),
                pl.when(pl.col("n") > 0).then(
                    pl.col("extra").cast(pl.String).str.zfill(pl.col("n"))
                ),
            ],
            ignore_nulls=True,
        )
    ).to_series()


# frames ----------------------------------------------------------------------------------
def orders_frame(world: World, L: dict[str, np.ndarray]) -> pl.DataFrame:
    sku = L["sku"]
    return (
        pl.DataFrame(
            {
                "_day": _day_of(L["ordered_at"]),
                "_prefix": _MP_PREFIX.gather(L["mp"]),
                "_order_num": L["order_num"],
                "_line": L["line_no"],
                "_buyer": L["buyer"],
                "_parcel_num": L["parcel_num"],
                "marketplace": _MP_CODES.gather(L["mp"]),
                "ordered_at": L["ordered_at"],
                "seller_id": world.seller_id.gather(L["seller"]),
                "seller_country": _COUNTRIES.gather(world.seller_country[L["seller"]]),
                "buyer_country": _COUNTRIES.gather(L["country"]),
                "ship_from_country": _COUNTRIES.gather(L["ship_from"]),
                "warehouse_id": take(_WAREHOUSE_IDS, L["warehouse"]),
                "sku": world.sku_id.gather(sku),
                "title": world.sku_title.gather(sku),
                "hs_code": take(world.sku_code, np.where(L["hs_present"], sku, -1)),
                "origin_country": _COUNTRIES.gather(world.sku_origin[sku]),
                "quantity": L["qty"],
                "unit_price": L["unit_price"],
                "currency": _CURRENCIES.gather(L["cur"]),
                "discount": nullable(L["discount"]),
                "shipping_fee": nullable(L["shipping"]),
                "insurance_fee": nullable(L["insurance"]),
                "ioss_number": take(world.ioss_numbers, L["ioss"]),
            }
        )
        .with_columns(
            order_id=_order_id("_prefix", "_order_num"),
            line_id=pl.col("_line").cast(pl.String),
            buyer_id=buyer_id_expr("_buyer"),
            parcel_id=_parcel_id("_parcel_num"),
        )
        .sort(["_day", "ordered_at", "order_id", "_line"])
    )


def declarations_frame(world: World, D: dict[str, np.ndarray]) -> pl.DataFrame:
    desc = np.where(D["description"] >= 0, D["description"], W.N_PRODUCTS - 1 - D["description"])
    return (
        pl.DataFrame(
            {
                "_day": _day_of(D["declared_at"]),
                "_num": D["decl_num"],
                "_buyer": D["buyer"],
                "_rep": D["importer_rep"],
                "_parcel_num": nullable(D["parcel_num"]),
                "item_no": pl.Series(D["item_no"], dtype=pl.Int32),
                "declared_at": D["declared_at"],
                "jurisdiction": _COUNTRIES.gather(D["country"]),
                "declarant_id": W.DECLARANT_IDS.gather(D["declarant"]),
                "seller_id": world.seller_id.gather(D["seller"]),
                "ioss_number": take(world.ioss_numbers, D["ioss"]),
                "procedure": pl.Series(PROCEDURE_CODES).gather(D["procedure"]),
                "hs_code": _hs_code(world, D["hs_product"], D["hs_extra"], D["hs_extra_len"]),
                "description": _DESCRIPTIONS.gather(desc),
                "origin_country": _COUNTRIES.gather(D["origin"]),
                "quantity": D["qty"],
                "gross_mass_kg": D["mass_g"],
                "declared_value": D["declared"],
                "currency": _CURRENCIES.gather(D["cur"]),
                "transport_cost": nullable(D["transport"]),
                "insurance_cost": nullable(D["insurance"]),
            }
        )
        .with_columns(
            declaration_id=_declaration_id("_num", "declared_at", "jurisdiction"),
            importer_id=pl.when(pl.col("_buyer") >= 0)
            .then(buyer_id_expr("_buyer"))
            .otherwise(_rep_id("_rep")),
            parcel_id=_parcel_id("_parcel_num"),
        )
        .sort(["_day", "declared_at", "declaration_id", "item_no"])
    )


def inspections_frame(insp: dict[str, np.ndarray]) -> pl.DataFrame:
    return (
        pl.DataFrame(
            {
                "_day": _day_of(insp["inspected_at"]),
                "_num": insp["decl_num"],
                "_declared_at": insp["declared_at"],
                "_country": _COUNTRIES.gather(insp["country"]),
                "inspected_at": insp["inspected_at"],
                "result": pl.Series(RESULTS).gather(insp["result"]),
                "assessed_value": nullable(insp["assessed"]),
                "currency": _CURRENCIES.gather(insp["cur"]),
                "additional_revenue": insp["revenue"],
            }
        )
        .with_columns(declaration_id=_declaration_id("_num", "_declared_at", "_country"))
        .sort(["_day", "inspected_at", "declaration_id"])
    )


def receipts_frame(world: World, R: dict[str, np.ndarray]) -> pl.DataFrame:
    return (
        pl.DataFrame(
            {
                "_day": _day_of(R["received_at"]),
                "_receipt": R["receipt_num"],
                "_lot": R["lot_num"],
                "_decl": R["decl_num"],
                "_declared_at": R["declared_at"],
                "_country": _COUNTRIES.gather(R["country"]),
                "warehouse_id": _WAREHOUSE_IDS.gather(R["warehouse"]),
                "warehouse_country": _COUNTRIES.gather(WH_COUNTRY[R["warehouse"]]),
                "received_at": R["received_at"],
                "seller_id": world.seller_id.gather(R["seller"]),
                "sku": world.sku_id.gather(R["sku"]),
                "hs_code": world.sku_code.gather(R["sku"]),
                "origin_country": _COUNTRIES.gather(world.sku_origin[R["sku"]]),
                "quantity": R["qty"],
                "declared_unit_value": R["unit_value"],
                "currency": _CURRENCIES.gather(R["cur"]),
            }
        )
        .with_columns(
            receipt_id=with_prefix("RCP", pl.col("_receipt"), 14),
            lot_id=with_prefix("LOT", pl.col("_lot"), 14),
            declaration_id=_declaration_id("_decl", "_declared_at", "_country"),
        )
        .sort(["_day", "received_at", "receipt_id", "lot_id"])
    )


def dispatches_frame(world: World, X: dict[str, np.ndarray]) -> pl.DataFrame:
    return (
        pl.DataFrame(
            {
                "_day": _day_of(X["dispatched_at"]),
                "_dispatch": X["dispatch_num"],
                "_prefix": _MP_PREFIX.gather(X["mp"]),
                "_order_num": X["order_num"],
                "_lot": nullable(X["lot_num"]),
                "warehouse_id": _WAREHOUSE_IDS.gather(X["warehouse"]),
                "dispatched_at": X["dispatched_at"],
                "line_id": pl.Series(X["line_no"]).cast(pl.String),
                "sku": world.sku_id.gather(X["sku"]),
                "quantity": X["qty"],
            }
        )
        .with_columns(
            dispatch_id=with_prefix("DSP", pl.col("_dispatch"), 14),
            order_id=_order_id("_prefix", "_order_num"),
            lot_id=with_prefix("LOT", pl.col("_lot"), 14),
        )
        .sort(["_day", "dispatched_at", "dispatch_id"])
    )


def labels_frame(B: dict[str, np.ndarray]) -> pl.DataFrame:
    def decimal(col: str) -> pl.Expr:
        c = pl.col(col)
        text = pl.concat_str(
            [(c // 10_000).cast(pl.String), pl.lit("."), (c % 10_000).cast(pl.String).str.zfill(4)]
        )
        return pl.when(c < 0).then(pl.lit("-") + text.str.replace("^-?", "")).otherwise(text)

    return (
        pl.DataFrame(
            {
                "_num": B["decl_num"],
                "_declared_at": B["declared_at"],
                "_country": _COUNTRIES.gather(B["country"]),
                "_parcel_num": nullable(B["parcel_num"]),
                "_lot": nullable(B["lot_num"]),
                "_true": B["true"],
                "_declared": B["declared"],
                "_revenue": np.maximum(B["revenue_eur"], 0),
                "anomaly": pl.Series(ANOMALY_NAMES).gather(B["anomaly"]),
                "item_no": pl.Series(B["item_no"], dtype=pl.Int32),
                "currency": _CURRENCIES.gather(B["cur"]),
            }
        )
        .with_columns(
            declaration_id=_declaration_id("_num", "_declared_at", "_country"),
            parcel_id=_parcel_id("_parcel_num"),
            lot_id=with_prefix("LOT", pl.col("_lot"), 14),
            true_value=decimal("_true").cast(pl.Decimal(18, 4)),
            declared_value=decimal("_declared").cast(pl.Decimal(18, 4)),
            revenue_at_stake_eur=decimal("_revenue").cast(pl.Decimal(18, 4)),
        )
        .sort(["_declared_at", "declaration_id", "item_no"])
        .select(
            "anomaly",
            "declaration_id",
            "item_no",
            "parcel_id",
            "lot_id",
            "true_value",
            "declared_value",
            "currency",
            "revenue_at_stake_eur",
        )
    )


# entry point -----------------------------------------------------------------------------
def generate(
    out: Path,
    start: date,
    days: int,
    seed: int = 42,
    scale: float = 1.0,
    source_formats: bool = False,
) -> GenerateResult:
    """Write ``days`` days of the five canonical feeds from ``start`` under ``out/landing`` and
    the anomaly labels to ``out/labels/labels.parquet``.

    ``source_formats``: then re-express EuroCart orders, DragonMart orders (as order API pages
    under ``out/api``) and the warehouse feeds in source-specific formats
    (``customs.generator.formats``); the other rows stay canonical."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    began = time.perf_counter()
    out = Path(out)
    start_ordinal = start.toordinal()
    window_end = (start_ordinal + days - UNIX_EPOCH_ORDINAL) * 86400
    world = build_world(seed, scale)

    lines, items, labels, inspections = [], [], [], []
    for offset in range(days):
        day = start + timedelta(days=offset)
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2, day.toordinal()]))
        day_lines = direct_orders(world, day.toordinal(), day.weekday(), rng)
        day_items, day_labels, facts = declare_direct(world, day_lines, rng, window_end)
        lines.append(day_lines)
        items.append(day_items)
        labels.append(day_labels)
        inspections.append(inspect(facts, rng, window_end))

    rng = np.random.default_rng(np.random.SeedSequence([seed, 3, start_ordinal, days]))
    wh = simulate(world, start_ordinal, days, rng)
    inspections.append(inspect(wh["facts"], rng, window_end))
    keys = wh["lines"].keys()
    lines = [{k: part[k] for k in keys} for part in lines] + [wh["lines"]]
    items.append(wh["declarations"])
    labels.append(wh["labels"])

    landing = out / "landing"
    window = [start + timedelta(days=i) for i in range(days)]
    rows = {
        ORDERS.name: write_feed(
            orders_frame(world, _concat(lines)), ORDERS, landing, window, False
        ),
        DECLARATIONS.name: write_feed(
            declarations_frame(world, _concat(items)), DECLARATIONS, landing, window, False
        ),
        WAREHOUSE_RECEIPTS.name: write_feed(
            receipts_frame(world, wh["receipts"]), WAREHOUSE_RECEIPTS, landing, window, True
        ),
        WAREHOUSE_DISPATCHES.name: write_feed(
            dispatches_frame(world, wh["dispatches"]), WAREHOUSE_DISPATCHES, landing, window, True
        ),
        INSPECTIONS.name: write_feed(
            inspections_frame(_concat(inspections)), INSPECTIONS, landing, window, False
        ),
    }
    api_dir = None
    if source_formats:
        from customs.generator.formats import convert_day

        api_dir = out / "api"
        for day in window:
            convert_day(landing, api_dir, day.isoformat())
    label_frame = labels_frame(_concat(labels))
    labels_path = out / "labels" / "labels.parquet"
    write_parquet(label_frame, labels_path)
    return GenerateResult(
        rows=rows,
        labels=label_frame.height,
        landing_dir=landing,
        labels_path=labels_path,
        seconds=round(time.perf_counter() - began, 3),
        api_dir=api_dir,
    )
