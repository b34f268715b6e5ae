"""Marketplace orders shipped directly from the seller (one row per order line).

Per UTC day, for ``scale`` 1:

- **Orders**: ``Poisson(1230 * scale * weekday factor * exp(N(0, 0.04)))``; weekends are 8-12%
  busier. The buyer's destination follows ``catalogue.DESTINATIONS`` (EU member states 55%, US
  17%, GB 10%, AU 3.5%, CA 3.5%, IN 3%); the marketplace follows the destination's mix
  (``catalogue.REGION_MARKETPLACES``); the seller is drawn from that marketplace's sellers by
  their Zipf weight. Order time: a local-time daily cycle (trough 3-5 h, peak 20-22 h) shifted by
  the destination's UTC offset, in half-hour steps.
- **Lines**: 1 (62%), 2 (22%), 3 (10%), 4 (6%), capped by the seller's SKU count, distinct SKUs
  of the seller, the first drawn with a preference for the seller's first (popular) SKUs.
  ``line_id`` is the line number "1".."4" within the order. Quantity 1 (70%), 2 (18%), 3 (7%),
  4-6 (5%).
- **Prices**: the SKU's EUR price, converted at the indicative rate, times the marketplace's
  price level and ``exp(N(0, 0.03))`` noise per sale, rounded to cents (charm SKUs to ``x.99``).
  ``unit_price`` is the goods price paid, before import VAT.
- **Discount**: empty 55%, ``0`` 20%, else 5-25% of the line value. **Shipping fee**: empty for
  the whole order with the marketplace's "unknown" share (4-22%), else free (45% of orders) or
  0.5-6 EUR per line. **Insurance fee**: empty 92%, ``0`` 3%, else 1.5% of the line value.
- **Parcels**: an order is one parcel; 8% of multi-line orders are split by the seller into 2-n
  parcels (stock in several places). Split-consignment fraud splits eligible orders into one
  parcel per line (see ``declarations``).
- **Ship-from**: the seller's country; CN sellers ship 12% of orders through HK.
- **hs_code**: the SKU's 6-10 digit code, missing on 4-25% of lines depending on the marketplace.
- **IOSS**: a parcel to an EU member state from outside the EU whose intrinsic value is at most
  EUR 150 carries the marketplace's IOSS number where the marketplace is registered as deemed
  supplier (globuy, dragonmart), else the seller's own IOSS number if it has one (eurocart and
  the others only list sellers), else none (VAT collected at import).
"""

from __future__ import annotations

import numpy as np

from customs.generator import catalogue as cat
from customs.generator import world as W
from customs.generator.ids import Kind, event_number
from customs.generator.world import World

ORDERS_PER_DAY = 1230.0
WEEKDAY_FACTOR = (1.0, 0.97, 0.96, 0.98, 1.0, 1.08, 1.12)
LINES_P = np.array([0.62, 0.22, 0.10, 0.06])
QTY_VALUES = np.array([1, 2, 3, 4, 5, 6])
QTY_P = np.array([0.70, 0.18, 0.07, 0.025, 0.0125, 0.0125])
HONEST_SPLIT_SHARE = 0.08
HK_TRANSIT_SHARE = 0.12
# Local-time order intensity per hour (0-23h).
HOURLY = np.array(
    [0.30, 0.16, 0.10, 0.08, 0.08, 0.10, 0.20, 0.40, 0.60, 0.75, 0.85, 0.95,
     1.00, 1.00, 0.95, 0.95, 1.00, 1.05, 1.15, 1.30, 1.45, 1.50, 1.20, 0.65]
)  # fmt: skip
SPLIT_FRAUD_RATE = 0.3
M4 = 10_000  # money is carried as integer ten-thousandths of the currency unit


def _utc_half_hour_cdf() -> np.ndarray:
    local = np.repeat(HOURLY, 2)
    rows = []
    for d in cat.DESTINATIONS:
        shift = round(d.utc_offset_h * 2)
        utc = np.roll(local, -shift)  # UTC bin b is local bin b + shift
        rows.append(np.cumsum(utc) / utc.sum())
    cdf = np.array(rows)
    cdf[:, -1] = 1.0
    return cdf


_TIME_CDF = _utc_half_hour_cdf()


def day_start_epoch(day_ordinal: int) -> int:
    return (day_ordinal - 719163) * 86400  # 719163 = date(1970, 1, 1).toordinal()


def sample_times(dest: np.ndarray, day_ordinal: int, rng: np.random.Generator) -> np.ndarray:
    """Order timestamps (epoch seconds) within the UTC day, following buyers' local hours."""
    n_bins = _TIME_CDF.shape[1]
    flat = (_TIME_CDF + np.arange(len(_TIME_CDF))[:, None]).ravel()
    pos = np.searchsorted(flat, dest + rng.random(len(dest)), side="right") - dest * n_bins
    pos = np.clip(pos, 0, n_bins - 1)
    seconds = pos * 1800 + rng.integers(0, 1800, len(dest))
    return day_start_epoch(day_ordinal) + seconds


def price_m4(
    world: World, sku: np.ndarray, mp: np.ndarray, rng: np.random.Generator, level: float = 1.0
) -> np.ndarray:
    """Unit prices in the marketplace currency, integer ten-thousandths, whole cents."""
    cur = W.MP_CURRENCY[mp]
    p = world.sku_price_eur[sku] * W.FX[cur] * W.MP_PRICE_FACTOR[mp] * level
    p = p * np.exp(rng.normal(0.0, 0.03, len(sku)))
    cents = np.maximum(np.round(p * 100), 1).astype(np.int64)
    charm = world.sku_charm[sku] & (cents >= 200)
    cents = np.where(charm, (cents // 100) * 100 + 99, cents)
    return cents * 100


def fees(
    rng: np.random.Generator,
    mp: np.ndarray,
    cur: np.ndarray,
    line_value: np.ndarray,
    order_of_line: np.ndarray,
    n_orders: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Discount, shipping fee and insurance fee per line (m4; -1 = empty)."""
    n = len(line_value)
    u = rng.random(n)
    disc = np.round(line_value * rng.uniform(0.05, 0.25, n) / 100).astype(np.int64) * 100
    discount = np.where(u < 0.55, -1, np.where(u < 0.75, 0, disc))

    line_ship = np.round(rng.uniform(0.5, 6.0, n) * W.FX[cur] * 100).astype(np.int64) * 100
    unknown = (rng.random(n_orders)[order_of_line]) < W.MP_SHIPPING_UNKNOWN[mp]
    free = (rng.random(n_orders)[order_of_line]) < 0.45
    shipping = np.where(unknown, -1, np.where(free, 0, line_ship))

    v = rng.random(n)
    ins = np.round(line_value * 0.015 / 100).astype(np.int64) * 100
    insurance = np.where(v < 0.92, -1, np.where(v < 0.95, 0, ins))
    return discount, shipping, insurance


def group_position(keys_sorted: np.ndarray) -> np.ndarray:
    """0-based position of each row within its run of equal keys (input sorted by key)."""
    n = len(keys_sorted)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, keys_sorted[1:] != keys_sorted[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    return np.arange(n) - first


def value_eur(value_m4: np.ndarray, cur: np.ndarray) -> np.ndarray:
    return value_m4 / M4 / W.FX[cur]


def direct_orders(
    world: World, day_ordinal: int, weekday: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The day's directly shipped order lines, as numpy columns (see module docstring)."""
    mean = ORDERS_PER_DAY * world.scale * WEEKDAY_FACTOR[weekday]
    n_orders = int(rng.poisson(mean * np.exp(rng.normal(0.0, 0.04))))

    dest = rng.choice(len(cat.DESTINATIONS), n_orders, p=W.DEST_P)
    region = W.DEST_REGION[dest]
    mp = np.empty(n_orders, dtype=np.int64)
    u = rng.random(n_orders)
    for r, name in enumerate(W.REGIONS):
        mix = cat.REGION_MARKETPLACES[name]
        codes = np.array([cat.MARKETPLACE_INDEX[c] for c, _ in mix])
        cdf = np.cumsum([s for _, s in mix])
        sel = region == r
        mp[sel] = codes[
            np.minimum(np.searchsorted(cdf / cdf[-1], u[sel], side="right"), len(codes) - 1)
        ]
    seller = world.sample_sellers(mp, rng)
    n_sku = world.seller_n_sku[seller]
    n_lines = np.minimum(rng.choice(4, n_orders, p=LINES_P) + 1, n_sku)
    ordered_at = sample_times(dest, day_ordinal, rng)
    buyer = world.sample_buyers(dest, rng)
    ship_from = world.seller_country[seller].copy()
    via_hk = (ship_from == W.COUNTRY_INDEX["CN"]) & (rng.random(n_orders) < HK_TRANSIT_SHARE)
    ship_from[via_hk] = W.COUNTRY_INDEX["HK"]
    country = W.DEST_COUNTRY[dest]
    needs_decl = W.TERRITORY[ship_from] != W.TERRITORY[country]

    # lines
    order_of_line = np.repeat(np.arange(n_orders), n_lines)
    line_no = group_position(order_of_line) + 1
    first_sku = (n_sku * rng.random(n_orders) ** 2.5).astype(np.int64)
    o_seller = seller[order_of_line]
    sku = world.seller_sku_offset[o_seller] + (
        (first_sku[order_of_line] + line_no - 1) % n_sku[order_of_line]
    )
    n = len(sku)
    qty = rng.choice(QTY_VALUES, n, p=QTY_P)
    l_mp = mp[order_of_line]
    cur = W.MP_CURRENCY[l_mp]
    unit_price = price_m4(world, sku, l_mp, rng)
    gross = qty * unit_price
    discount, shipping, insurance = fees(rng, l_mp, cur, gross, order_of_line, n_orders)
    net = gross - np.maximum(discount, 0)
    net_eur = value_eur(net, cur)

    # parcels: honest seller splits, and split-consignment fraud
    order_eur = np.bincount(order_of_line, weights=net_eur, minlength=n_orders)
    max_line_eur = np.zeros(n_orders)
    np.maximum.at(max_line_eur, order_of_line, net_eur)
    eligible = (
        needs_decl
        & np.isin(W.DEST_REGION[dest], [W.REGIONS.index("EU"), W.REGIONS.index("GB")])
        & (n_lines >= 2)
        & (order_eur > cat.LOW_VALUE_THRESHOLD_EUR)
        & (max_line_eur <= cat.LOW_VALUE_THRESHOLD_EUR)
    )
    risk = world.seller_risk[seller]
    mean_risk = risk[eligible].mean() if eligible.any() else 1.0
    split_fraud = eligible & (
        rng.random(n_orders) < np.minimum(SPLIT_FRAUD_RATE * risk / mean_risk, 0.9)
    )
    honest_split = ~split_fraud & (n_lines >= 2) & (rng.random(n_orders) < HONEST_SPLIT_SHARE)
    k = rng.integers(2, np.maximum(n_lines, 2) + 1)
    parcel_in_order = np.where(
        split_fraud[order_of_line],
        line_no - 1,
        np.where(honest_split[order_of_line], (line_no - 1) % k[order_of_line], 0),
    )
    n_parcels = np.zeros(n_orders, dtype=np.int64)
    np.maximum.at(n_parcels, order_of_line, parcel_in_order + 1)
    parcel_base = np.r_[0, np.cumsum(n_parcels)[:-1]]
    parcel_pos = parcel_base[order_of_line] + parcel_in_order

    # IOSS per parcel
    parcel_eur = np.bincount(parcel_pos, weights=net_eur, minlength=int(n_parcels.sum()))
    ioss_ok = (
        needs_decl[order_of_line]
        & W.IS_EU[country[order_of_line]]
        & (parcel_eur[parcel_pos] <= cat.LOW_VALUE_THRESHOLD_EUR)
    )
    own = world.seller_ioss[o_seller]
    ioss = np.where(W.MP_HAS_IOSS[l_mp], l_mp, own)
    ioss = np.where(ioss_ok, ioss, -1)

    day = np.full(n, day_ordinal, dtype=np.int64)
    return {
        "day": day,
        "order_num": event_number(Kind.ORDER, day, order_of_line),
        "line_no": line_no,
        "mp": l_mp,
        "cur": cur,
        "seller": o_seller,
        "buyer": buyer[order_of_line],
        "dest": dest[order_of_line],
        "country": country[order_of_line],
        "ship_from": ship_from[order_of_line],
        "sku": sku,
        "qty": qty,
        "unit_price": unit_price,
        "discount": discount,
        "shipping": shipping,
        "insurance": insurance,
        "net": net,
        "ordered_at": ordered_at[order_of_line],
        "parcel_pos": parcel_pos,
        "parcel_num": event_number(Kind.PARCEL, day, parcel_pos),
        "warehouse": np.full(n, -1, dtype=np.int64),
        "ioss": ioss,
        "hs_present": rng.random(n) >= W.MP_HS_MISSING[l_mp],
        "needs_decl": needs_decl[order_of_line],
        "split_fraud": split_fraud[order_of_line],
    }
