"""The sample-feed generator: determinism, layout, referential integrity, distributions."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from stdnum.eu import oss

from customs.generator import GenerateResult, generate
from customs.generator import catalogue as cat
from transforms.schemas import FEEDS, MASS, MONEY, UTC_TS

START = date(2026, 9, 1)
DAYS = 12
SCALE = 0.5
SEED = 7
CSV_FEEDS = ("orders", "declarations", "inspections")
JSONL_FEEDS = ("warehouse_receipts", "warehouse_dispatches")
HS_REFERENCE = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "harmonized-system.csv"
)

TS_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
CSV_MONEY_RE = r"^\d+\.\d{2,4}$"
JSON_MONEY_RE = r"^\d+\.\d{4}$"
MASS_RE = r"^\d+\.\d{3}$"


@dataclass
class Sample:
    result: GenerateResult
    out: Path
    frames: dict[str, pl.DataFrame]  # every column as text, plus _file_day
    labels: pl.DataFrame


def _read_feed(landing: Path, feed: str) -> pl.DataFrame:
    parts = []
    for path in sorted((landing / feed).glob("*/*")):
        if path.suffix == ".csv":
            frame = pl.read_csv(path, infer_schema=False)
        else:
            rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
            frame = pl.DataFrame(
                [{k: None if v is None else str(v) for k, v in r.items()} for r in rows],
                schema=dict.fromkeys(FEEDS[feed].columns, pl.String),
            )
        parts.append(frame.with_columns(_file_day=pl.lit(path.parent.name)))
    return pl.concat(parts)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    out = tmp_path_factory.mktemp("sample")
    result = generate(out, START, DAYS, seed=SEED, scale=SCALE)
    frames = {feed: _read_feed(result.landing_dir, feed) for feed in FEEDS}
    return Sample(result, out, frames, pl.read_parquet(result.labels_path))


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# determinism --------------------------------------------------------------------------------
def test_same_arguments_give_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", START, 5, seed=3, scale=0.2)
    b = generate(tmp_path / "b", START, 5, seed=3, scale=0.2)
    generate(tmp_path / "c", START, 5, seed=4, scale=0.2)
    files_a, files_b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert files_a == files_b
    assert a.rows == b.rows and a.labels == b.labels
    files_c = _files(tmp_path / "c")
    assert files_a.keys() & files_c.keys()
    assert all(files_a[k] != files_c[k] for k in files_a.keys() & files_c.keys())


def test_regenerating_into_the_same_folder_replaces_files(tmp_path: Path) -> None:
    generate(tmp_path, START, 3, seed=1, scale=0.1)
    first = _files(tmp_path)
    generate(tmp_path, START, 3, seed=1, scale=0.1)
    assert _files(tmp_path) == first
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_a_days_orders_do_not_depend_on_the_window(tmp_path: Path) -> None:
    generate(tmp_path / "a", START, 2, seed=5, scale=0.1)
    generate(tmp_path / "b", START - timedelta(days=1), 3, seed=5, scale=0.1)
    day = START.isoformat()
    direct = [
        line
        for line in (tmp_path / "a" / "landing" / "orders" / day / "orders.csv")
        .read_text()
        .splitlines()
        if ",WH-" not in line
    ]
    other = (tmp_path / "b" / "landing" / "orders" / day / "orders.csv").read_text().splitlines()
    assert set(direct) <= set(other)


# layout and formats ---------------------------------------------------------------------------
def test_landing_layout_one_file_per_feed_and_day(sample: Sample) -> None:
    landing = sample.result.landing_dir
    assert landing == sample.out / "landing"
    window = {(START + timedelta(days=i)).isoformat() for i in range(DAYS)}
    for feed in FEEDS:
        ext = "jsonl" if feed in JSONL_FEEDS else "csv"
        for path in (landing / feed).rglob("*"):
            if path.is_file():
                assert path.name == f"{feed}.{ext}"
                assert path.parent.name in window
        days = {p.parent.name for p in (landing / feed).glob(f"*/{feed}.{ext}")}
        assert days, feed
    assert {p.name for p in landing.iterdir()} == set(FEEDS)
    assert len({p.parent.name for p in (landing / "orders").glob("*/*.csv")}) == DAYS


def test_headers_and_keys_are_exactly_the_canonical_columns(sample: Sample) -> None:
    landing = sample.result.landing_dir
    for feed in CSV_FEEDS:
        for path in (landing / feed).glob("*/*.csv"):
            raw = path.read_bytes()
            assert b"\r" not in raw
            raw.decode("utf-8")
            with path.open(newline="", encoding="utf-8") as fh:
                assert next(csv.reader(fh)) == list(FEEDS[feed].columns)
    for feed in JSONL_FEEDS:
        for path in (landing / feed).glob("*/*.jsonl"):
            for line in path.read_text("utf-8").splitlines():
                assert list(json.loads(line)) == list(FEEDS[feed].columns)


def test_values_follow_the_text_conventions(sample: Sample) -> None:
    for feed, schema in FEEDS.items():
        frame = sample.frames[feed]
        money_re = JSON_MONEY_RE if feed in JSONL_FEEDS else CSV_MONEY_RE
        for name, dtype in schema.columns.items():
            col = frame[name]
            if name not in schema.nullable:
                assert col.null_count() == 0, (feed, name)
            values = col.drop_nulls()
            assert (values.str.len_chars() > 0).all(), (feed, name)
            if dtype == UTC_TS:
                assert values.str.contains(TS_RE).all(), (feed, name)
            elif dtype == MONEY:
                assert values.str.contains(money_re).all(), (feed, name)
            elif dtype == MASS:
                assert values.str.contains(MASS_RE).all(), (feed, name)
            elif dtype.is_integer():
                assert values.str.contains(r"^[1-9]\d*$").all(), (feed, name)
        # each file holds the rows of its own day
        assert (frame[schema.event_time].str.slice(0, 10) == frame["_file_day"]).all(), feed


def test_keys_are_unique(sample: Sample) -> None:
    for feed, schema in FEEDS.items():
        frame = sample.frames[feed]
        assert frame.select(schema.key).is_duplicated().sum() == 0, feed


def test_codes_are_well_formed(sample: Sample) -> None:
    orders, decl = sample.frames["orders"], sample.frames["declarations"]
    assert decl["hs_code"].str.contains(r"^\d{6}(\d{2}|\d{4})?$").all()
    assert orders["hs_code"].drop_nulls().str.contains(r"^\d{6}(\d{2}|\d{4})?$").all()
    assert 0.02 < orders["hs_code"].is_null().mean() < 0.25
    assert decl["hs_code"].str.starts_with("0").any()
    assert set(decl["procedure"].unique()) == {"H7", "H1", "WH"}
    assert set(sample.frames["inspections"]["result"].unique()) <= set(
        FEEDS["inspections"].allowed_values["result"]
    )
    for frame, cols in ((orders, ("seller_country", "buyer_country", "ship_from_country", "origin_country")),
                        (decl, ("jurisdiction", "origin_country"))):  # fmt: skip
        for c in cols:
            assert frame[c].str.contains(r"^[A-Z]{2}$").all()


# referential integrity ---------------------------------------------------------------------------
def test_every_declared_parcel_item_matches_an_order_line(sample: Sample) -> None:
    orders, decl = sample.frames["orders"], sample.frames["declarations"]
    lines = orders.with_columns(
        item_no=pl.col("line_id").cast(pl.Int64).rank("ordinal").over("parcel_id").cast(pl.String)
    )
    items = decl.filter(pl.col("parcel_id").is_not_null())
    matched = items.join(lines, on=["parcel_id", "item_no"], how="left", suffix="_o")
    assert matched["order_id"].null_count() == 0
    assert (matched["sku"].is_not_null()).all()
    assert (matched["seller_id"] == matched["seller_id_o"]).all()
    assert (matched["importer_id"] == matched["buyer_id"]).all()
    assert (matched["jurisdiction"] == matched["buyer_country"]).all()
    assert (matched["currency"] == matched["currency_o"]).all()
    assert (matched["quantity"] == matched["quantity_o"]).all()
    assert (matched["declared_at"] > matched["ordered_at"]).all()
    assert matched["warehouse_id"].null_count() == matched.height
    # one declaration per parcel, items numbered 1..n
    per_decl = items.group_by("declaration_id").agg(
        pl.col("parcel_id").n_unique().alias("parcels"),
        pl.col("item_no").cast(pl.Int64).max().alias("max_item"),
        pl.len().alias("n"),
    )
    assert (per_decl["parcels"] == 1).all() and (per_decl["max_item"] == per_decl["n"]).all()
    # the declaration is the price paid for most items
    paid = (
        matched["quantity"].cast(pl.Int64) * matched["unit_price"].cast(pl.Float64)
        - matched["discount"].cast(pl.Float64).fill_null(0)
    ).round(2)
    assert ((matched["declared_value"].cast(pl.Float64) - paid).abs() < 0.005).mean() > 0.9


def test_warehouse_lines_get_no_declaration_but_a_dispatch(sample: Sample) -> None:
    orders, decl = sample.frames["orders"], sample.frames["declarations"]
    wh_lines = orders.filter(pl.col("warehouse_id").is_not_null())
    assert wh_lines.height > 0
    assert wh_lines["parcel_id"].is_in(decl["parcel_id"].drop_nulls().implode()).sum() == 0
    assert wh_lines["ioss_number"].null_count() == wh_lines.height
    countries = {w.warehouse_id: w.country for w in cat.WAREHOUSES}
    assert (
        wh_lines["ship_from_country"] == wh_lines["warehouse_id"].replace_strict(countries)
    ).all()
    disp = sample.frames["warehouse_dispatches"]
    joined = disp.join(orders, on=["order_id", "line_id"], how="left", suffix="_o")
    assert joined["marketplace"].null_count() == 0
    assert (joined["warehouse_id"] == joined["warehouse_id_o"]).all()
    assert (joined["sku"] == joined["sku_o"]).all()
    assert (joined["quantity"] == joined["quantity_o"]).all()
    assert (joined["dispatched_at"] >= joined["ordered_at"]).all()
    assert 0.05 < disp["lot_id"].is_null().mean() < 0.4


def test_dispatches_never_exceed_lot_stock(sample: Sample) -> None:
    receipts, disp = sample.frames["warehouse_receipts"], sample.frames["warehouse_dispatches"]
    lots = {
        r["lot_id"]: (r["warehouse_id"], r["sku"], int(r["quantity"]), r["received_at"])
        for r in receipts.iter_rows(named=True)
    }
    assert all(50 <= q <= 2000 for _, _, q, _ in lots.values())
    remaining = {lot: q for lot, (_, _, q, _) in lots.items()}
    by_stock: dict[tuple[str, str], list[str]] = defaultdict(list)
    for lot, (wh, sku, _, _at) in sorted(lots.items(), key=lambda kv: (kv[1][3], kv[0])):
        by_stock[(wh, sku)].append(lot)
    # explicit lots first, then FIFO (by dispatch time) for dispatches without one
    for row in disp.sort("dispatched_at", "dispatch_id").iter_rows(named=True):
        qty = int(row["quantity"])
        if row["lot_id"] is not None:
            wh, sku, _, at = lots[row["lot_id"]]
            assert (wh, sku) == (row["warehouse_id"], row["sku"])
            assert at <= row["dispatched_at"]
            remaining[row["lot_id"]] -= qty
            assert remaining[row["lot_id"]] >= 0
    for row in disp.filter(pl.col("lot_id").is_null()).sort("dispatched_at").iter_rows(named=True):
        qty = int(row["quantity"])
        candidates = [
            lot
            for lot in by_stock[(row["warehouse_id"], row["sku"])]
            if lots[lot][3] <= row["dispatched_at"] and remaining[lot] > 0
        ]
        assert candidates, row
        remaining[candidates[0]] -= qty
    assert min(remaining.values()) >= 0


def test_warehouse_lots_have_a_wh_declaration(sample: Sample) -> None:
    receipts, decl = sample.frames["warehouse_receipts"], sample.frames["declarations"]
    wh = decl.filter(pl.col("procedure") == "WH")
    assert wh.height == receipts.height
    joined = receipts.join(wh, on="declaration_id", how="left", suffix="_d")
    assert joined["item_no"].null_count() == 0
    assert (joined["item_no"] == "1").all()
    assert joined["parcel_id"].null_count() == joined.height
    assert (joined["quantity"] == joined["quantity_d"]).all()
    assert (joined["currency"] == joined["currency_d"]).all()
    assert (joined["jurisdiction"] == joined["warehouse_country"]).all()
    assert (joined["declared_at"] <= joined["received_at"]).all()
    value = joined["quantity"].cast(pl.Int64) * joined["declared_unit_value"].cast(
        pl.Decimal(18, 4)
    )
    assert (value == joined["declared_value"].cast(pl.Decimal(18, 4))).all()
    assert not joined["importer_id"].str.starts_with("BU").any()


def test_inspections_follow_existing_declarations(sample: Sample) -> None:
    decl, insp = sample.frames["declarations"], sample.frames["inspections"]
    first = decl.group_by("declaration_id").agg(
        pl.col("declared_at").first(), pl.col("currency").first()
    )
    joined = insp.join(first, on="declaration_id", how="left", suffix="_d")
    assert joined["declared_at"].null_count() == 0
    assert (joined["inspected_at"] > joined["declared_at"]).all()
    assert (joined["currency"] == joined["currency_d"]).all()
    share = insp["declaration_id"].n_unique() / decl["declaration_id"].n_unique()
    assert 0.01 < share < 0.08
    clean = insp.filter(pl.col("result") == "no_irregularity")
    assert clean["assessed_value"].null_count() == clean.height
    assert (clean["additional_revenue"].cast(pl.Float64) == 0).all()
    assert insp["result"].value_counts().sort("count")["result"][-1] == "no_irregularity"


def test_labels_are_outside_landing_and_reference_declarations(sample: Sample) -> None:
    labels, decl = sample.labels, sample.frames["declarations"]
    assert sample.result.labels_path == sample.out / "labels" / "labels.parquet"
    assert sample.result.landing_dir not in sample.result.labels_path.parents
    assert labels.height == sample.result.labels > 0
    assert labels.columns == [
        "anomaly",
        "declaration_id",
        "item_no",
        "parcel_id",
        "lot_id",
        "true_value",
        "declared_value",
        "currency",
        "revenue_at_stake_eur",
    ]
    assert labels.schema["true_value"] == pl.Decimal(18, 4)
    items = decl.select(
        "declaration_id", pl.col("item_no").cast(pl.Int32), "declared_value", "currency"
    )
    joined = labels.join(items, on=["declaration_id", "item_no"], how="left", suffix="_d")
    assert joined["declared_value_d"].null_count() == 0
    assert (joined["declared_value"] == joined["declared_value_d"].cast(pl.Decimal(18, 4))).all()
    assert (joined["currency"] == joined["currency_d"]).all()
    assert (labels["revenue_at_stake_eur"] >= 0).all()
    under = labels.filter(pl.col("anomaly").is_in(["undervaluation", "warehouse_undervaluation"]))
    ratio = under["declared_value"].cast(pl.Float64) / under["true_value"].cast(pl.Float64)
    assert ratio.max() < 0.99 and ratio.min() > 0.0
    assert (ratio < 0.6).mean() > 0.4 and (ratio > 0.7).mean() > 0.1  # strength varies
    wh = labels.filter(pl.col("anomaly") == "warehouse_undervaluation")
    assert wh["lot_id"].is_in(sample.frames["warehouse_receipts"]["lot_id"].implode()).all()
    assert wh["parcel_id"].null_count() == wh.height
    direct = labels.filter(pl.col("anomaly") != "warehouse_undervaluation")
    assert direct["parcel_id"].null_count() == 0 and direct["lot_id"].null_count() == direct.height


def test_split_consignments_and_misclassifications_look_as_described(sample: Sample) -> None:
    labels, orders, decl = sample.labels, sample.frames["orders"], sample.frames["declarations"]
    split = labels.filter(pl.col("anomaly") == "split_consignment")
    split_orders = orders.join(split.select("parcel_id"), on="parcel_id", how="semi")["order_id"]
    per_order = (
        orders.filter(pl.col("order_id").is_in(split_orders.implode()))
        .group_by("order_id")
        .agg(pl.col("parcel_id").n_unique().alias("parcels"), pl.len().alias("lines"))
    )
    assert per_order.height > 0
    assert (per_order["parcels"] >= 2).all() and (per_order["parcels"] == per_order["lines"]).all()
    mis = labels.filter(pl.col("anomaly") == "misclassification").join(
        decl.select("declaration_id", pl.col("item_no").cast(pl.Int32), "hs_code", "description"),
        on=["declaration_id", "item_no"],
    )
    hs_of = {p.description: p.hs6 for p in cat.PRODUCTS}
    declared_chapter = mis["hs_code"].str.slice(0, 2)
    true_chapter = mis["description"].replace_strict(hs_of, default=None).str.slice(0, 2)
    assert mis.height > 0
    hidden = true_chapter.is_null()  # a vague description hides some of them
    assert 0.05 < hidden.mean() < 0.5
    assert (declared_chapter.filter(~hidden) != true_chapter.filter(~hidden)).all()
    duty_of = {p.hs6: p.duty_pct for p in cat.PRODUCTS}
    declared_duty = mis["hs_code"].str.slice(0, 6).replace_strict(duty_of, default=None)
    true_duty = mis["description"].replace_strict(
        {p.description: p.duty_pct for p in cat.PRODUCTS}, default=None
    )
    known = true_duty.is_not_null()
    assert (declared_duty.filter(known) < true_duty.filter(known)).all()
    assert mis["hs_code"].str.slice(0, 6).is_in(list(cat.DECOY_HS6)).mean() > 0.5


# realism ----------------------------------------------------------------------------------------
def test_distributions_are_roughly_as_documented(sample: Sample) -> None:
    orders, decl = sample.frames["orders"], sample.frames["declarations"]
    per_seller = orders.group_by("seller_id").len().sort("len", descending=True)
    top = per_seller.head(max(1, per_seller.height // 100))["len"].sum() / orders.height
    assert top > 0.15  # long tail: the top 1% of sellers carry far more than 1%
    assert per_seller.height > 300
    assert orders["currency"].n_unique() >= 5
    assert orders["marketplace"].n_unique() >= 5
    assert decl["hs_code"].str.slice(0, 2).n_unique() >= 30
    jurisdictions = set(decl["jurisdiction"].unique())
    assert {"US", "GB", "AU", "CA", "IN"} <= jurisdictions
    assert len(jurisdictions & cat.EU_MEMBERS) >= 15
    sellers = orders["seller_country"].value_counts().sort("count", descending=True)
    assert sellers["seller_country"][0] == "CN"
    assert {"HK", "TR", "IN", "VN", "US", "GB", "KR"} <= set(sellers["seller_country"])
    qty = orders["quantity"].cast(pl.Int64)
    assert (qty <= 3).mean() > 0.9
    lines = orders.group_by("order_id").len()["len"]
    assert lines.max() <= 4 and (lines == 1).mean() > 0.5
    assert 0.3 < orders["discount"].is_null().mean() < 0.8
    assert 0.02 < orders["shipping_fee"].is_null().mean() < 0.3
    assert orders["insurance_fee"].is_null().mean() > 0.8
    assert 0.05 < orders["warehouse_id"].is_not_null().mean() < 0.3
    hours = orders["ordered_at"].str.slice(11, 2).cast(pl.Int64).value_counts()
    assert hours["count"].max() > 2 * hours["count"].min()  # a daily cycle, not uniform
    # prices: cheap accessories, dear electronics
    eur = orders.filter(pl.col("currency") == "EUR").with_columns(
        pl.col("unit_price").cast(pl.Float64)
    )
    case = eur.filter(pl.col("title").str.contains("phone case"))["unit_price"].median()
    laptop = eur.filter(pl.col("title").str.contains("Laptop"))["unit_price"].median()
    assert case is not None and laptop is not None and laptop > 20 * case


def test_ioss_numbers_are_valid_and_only_on_eu_imports(sample: Sample) -> None:
    orders, decl = sample.frames["orders"], sample.frames["declarations"]
    numbers = pl.concat([orders["ioss_number"], decl["ioss_number"]]).drop_nulls().unique()
    assert numbers.len() > 10
    assert all(oss.is_valid(n) and n.startswith("IM") for n in numbers)
    with_ioss = orders.filter(pl.col("ioss_number").is_not_null())
    assert with_ioss["buyer_country"].is_in(list(cat.EU_MEMBERS)).all()
    assert not with_ioss["ship_from_country"].is_in(list(cat.EU_MEMBERS)).any()
    eu = decl.filter(
        pl.col("jurisdiction").is_in(list(cat.EU_MEMBERS)) & (pl.col("procedure") == "H7")
    )
    assert 0.5 < eu["ioss_number"].is_not_null().mean() < 1.0
    assert decl.filter(pl.col("procedure") == "H1")["ioss_number"].null_count() > 0


def test_anomaly_share_is_within_the_documented_band(sample: Sample) -> None:
    labels, decl = sample.labels, sample.frames["declarations"]
    share = labels["declaration_id"].n_unique() / decl["declaration_id"].n_unique()
    assert 0.03 <= share <= 0.06
    assert set(labels["anomaly"].unique()) == {
        "undervaluation",
        "split_consignment",
        "misclassification",
        "warehouse_undervaluation",
    }


def test_anomalous_rows_carry_no_exclusive_marker(sample: Sample) -> None:
    decl = sample.frames["declarations"]
    bad = decl.join(
        sample.labels.select("declaration_id").unique(), on="declaration_id", how="semi"
    )
    good = decl.join(
        sample.labels.select("declaration_id").unique(), on="declaration_id", how="anti"
    )
    for col in ("declaration_id", "importer_id", "seller_id", "parcel_id"):
        for frame in (bad, good):
            assert frame[col].drop_nulls().str.len_chars().n_unique() <= 3, col
        bad_shapes = set(bad[col].drop_nulls().str.replace_all(r"\d", "9").str.slice(0, 4))
        good_shapes = set(good[col].drop_nulls().str.replace_all(r"\d", "9").str.slice(0, 4))
        assert bad_shapes <= good_shapes, col
    for frame in (bad, good):
        whole = frame["declared_value"].str.ends_with(".00").mean()
        assert 0.02 < whole < 0.5


def test_volume_grows_linearly_with_scale(tmp_path: Path) -> None:
    small = generate(tmp_path / "s", START, 6, seed=2, scale=0.25)
    large = generate(tmp_path / "l", START, 6, seed=2, scale=1.0)
    ratio = large.rows["declarations"] / small.rows["declarations"]
    assert 3.3 < ratio < 4.7
    per_day = large.rows["declarations"] / (6 - 2.2)  # the first ~2 days have few declarations
    assert 1500 < per_day < 2200


def test_catalogue_covers_enough_goods() -> None:
    codes = [p.hs6 for p in cat.PRODUCTS]
    assert len(codes) == len(set(codes)) >= 150
    assert len({c[:2] for c in codes}) >= 30
    assert any(c.startswith("0") for c in codes)
    assert all(p.median_eur > 0 and p.sigma > 0 and p.mass_kg > 0 for p in cat.PRODUCTS)
    assert set(cat.FX_PER_EUR) <= set(
        [
            "AUD",
            "BGN",
            "BRL",
            "CAD",
            "CHF",
            "CNY",
            "CZK",
            "DKK",
            "EUR",
            "GBP",
            "HKD",
            "HUF",
            "IDR",
            "ILS",
            "INR",
            "ISK",
            "JPY",
            "KRW",
            "MXN",
            "MYR",
            "NOK",
            "NZD",
            "PHP",
            "PLN",
            "RON",
            "SEK",
            "SGD",
            "THB",
            "TRY",
            "USD",
            "ZAR",
        ]
    )
    if HS_REFERENCE.exists():  # the shared HS 2022 nomenclature, when it is beside the checkout
        with HS_REFERENCE.open(encoding="utf-8") as fh:
            known = {row["hscode"] for row in csv.DictReader(fh)}
        assert set(codes) <= known


def test_rejects_nonsense_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, START, 0)
    with pytest.raises(ValueError):
        generate(tmp_path, START, 1, scale=0)
