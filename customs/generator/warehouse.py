"""Overseas warehouses: bulk lots imported before sale, then sold and dispatched domestically.

Simulated over the whole window (stock carries from day to day):

- **Who**: 4% of the Asian sellers (CN, HK, TR, IN, VN, KR), the larger ones more often
  (probability ~ sqrt(volume weight)), stock 1 warehouse (70%) or 2 of the 30 in
  ``catalogue.WAREHOUSES`` (EU 65%, GB 15%, US 20%), with their ``1 + Poisson(1.5)`` most popular
  SKUs (a *stock line* = seller x warehouse x SKU).
- **When**: a seller's first shipment reaches a warehouse at the window start plus
  ``Exp(2 days)`` (55%) or at a uniform time in the window (45%, new listings); sales start a day
  after. Each stock line sells ``Poisson(lambda)`` order lines a day, ``lambda`` ~ seller weight x
  ``exp(N(0, 0.7))`` x a SKU-rank factor, scaled to about 500 lines a day at scale 1
  (quantity 1-3).
- **Lots**: a stock line is replenished in lots of ``Q`` units, enough for 6-25 days of sales
  (``lambda * 1.4 * U(6, 25)``, at least ``U(50, 300)``), rounded as shippers do (tens, fifties,
  hundreds) and kept within 50-2000. A lot is received 0.5-6 days before its first sale (never
  before the previous lot). Sales consume lots strictly first-in-first-out and a lot sells out
  exactly (the sale that would straddle two lots is shortened), so a dispatch without ``lot_id``
  allocated FIFO by ``dispatched_at`` lands on the lot the generator used. No lot ever
  dispatches more than it received.
- **Receipts**: one row per lot; lots that arrive together (same seller, warehouse and time) share
  a ``receipt_id``. ``declared_unit_value`` in the warehouse's currency (EUR, GBP, USD) is the
  cost of the goods: the SKU's EUR price x ``U(0.55, 0.8)`` (rounded to cents, or to 4 decimals
  for 30% of lots), close to the deductive value of the later sales. Each lot has a ``WH``
  declaration (one item, no parcel, importer = the seller's fiscal representative, one of 8 per
  country, declared 2-30 hours before receipt, or between the window start and the receipt
  when that would fall before the window).
- **Anomaly** ``warehouse_undervaluation``: 12-15% of lots (x10 for high-risk sellers, normalised)
  declare ``U(0.12, 0.75)`` of the honest unit value (some mild). ``true_value`` = quantity x
  honest unit value; ``revenue_at_stake_eur`` = ``(true - declared) * (d + v * (1 + d))``.
- **Sales**: order lines with ``warehouse_id`` set, ``ship_from_country`` = the warehouse
  country, no IOSS and no import declaration. Buyers: the warehouse country (GB, US, or for EU
  warehouses 55% the same member state, else any member state); marketplace by region
  (EU: eurocart 55% / globuy; GB: britshop 60% / globuy; US: globuy). Prices are the direct
  prices x 1.12 (local delivery). 35% of sales close to another sale of the same seller and
  warehouse become a two-line order. Each line is dispatched 1-36 hours after the order (one
  dispatch row; 20% without ``lot_id``), in sale order within a stock line.
"""

from __future__ import annotations

import numpy as np

from customs.generator import catalogue as cat
from customs.generator import world as W
from customs.generator.declarations import NONE, WAREHOUSE, pick_declarants
from customs.generator.ids import Kind, event_number
from customs.generator.orders import M4, fees, group_position, price_m4, value_eur
from customs.generator.world import World

SELLER_SHARE = 0.04
LINES_PER_DAY = 500.0
UNDERVALUATION_RATE = 0.15
MIN_LOT, MAX_LOT = 50, 2000
WH_QTY_P = np.array([0.75, 0.18, 0.07])
REGION_P = {"EU": 0.65, "GB": 0.15, "US": 0.20}
REPS_PER_COUNTRY = 8
BIG = 10**11  # offset that keeps per-group running maxima apart

WH_COUNTRY = np.array([W.COUNTRY_INDEX[w.country] for w in cat.WAREHOUSES])
WH_CURRENCY = np.array([W.CURRENCIES.index(w.currency) for w in cat.WAREHOUSES])
WH_REGION = np.array(["EU" if w.country in cat.EU_MEMBERS else w.country for w in cat.WAREHOUSES])


def _group_cummax(group: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Running maximum of x within runs of group (group sorted ascending, x < BIG)."""
    return np.maximum.accumulate(group * BIG + x) - group * BIG


def _group_cumsum(group: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Running sum of x within runs of group (group sorted)."""
    cs = np.cumsum(x)
    first = group_position(group) == 0
    return cs - np.maximum.accumulate(np.where(first, cs - x, 0))


def _nice(q: np.ndarray) -> np.ndarray:
    """Lot sizes as shippers write them: tens below 200, fifties below 1000, then hundreds."""
    step = np.where(q < 200, 10, np.where(q < 1000, 50, 100))
    return np.clip(np.round(q / step) * step, MIN_LOT, MAX_LOT).astype(np.int64)


def _fill_lots_exactly(group: np.ndarray, qty: np.ndarray, lot_size: np.ndarray) -> np.ndarray:
    """Shorten the sales that would straddle two lots so that each lot sells out exactly.

    Each round fixes the first straddling sale of every stock line; the later sales shift, so
    repeat until none straddles (a few rounds: one per lot boundary crossed).
    """
    qty = qty.copy()
    while True:
        end = _group_cumsum(group, qty)
        begin = end - qty
        boundary = (begin // lot_size + 1) * lot_size
        cross = end > boundary
        if not cross.any():
            return qty
        first = cross & (_group_cumsum(group, cross.astype(np.int64)) == 1)
        qty[first] = boundary[first] - begin[first]


def _day_positions(day: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Position of each row within its day, in time order (ties by input order)."""
    order = np.lexsort((np.arange(len(t)), t, day))
    pos = np.empty(len(t), dtype=np.int64)
    pos[order] = group_position(day[order])
    return pos


def simulate(
    world: World, start_ordinal: int, days: int, rng: np.random.Generator
) -> dict[str, dict[str, np.ndarray]]:
    start = (start_ordinal - 719163) * 86400
    end = start + days * 86400
    n_wh = len(cat.WAREHOUSES)

    # warehouse sellers and their stock lines ---------------------------------------------
    asian = np.isin(
        world.seller_country, [W.COUNTRY_INDEX[c] for c in ("CN", "HK", "TR", "IN", "VN", "KR")]
    )
    cand = np.flatnonzero(asian)
    k = max(1, round(SELLER_SHARE * len(cand)))
    p = np.sqrt(world.seller_weight[cand])
    sellers = np.sort(rng.choice(cand, k, replace=False, p=p / p.sum()))
    wh_p = np.array([REGION_P[r] / np.sum(r == WH_REGION) for r in WH_REGION])
    first_wh = rng.choice(n_wh, k, p=wh_p / wh_p.sum())
    second_wh = (first_wh + 1 + rng.integers(0, n_wh - 1, k)) % n_wh
    two = rng.random(k) < 0.3
    sw_seller = np.concatenate([sellers, sellers[two]])
    sw_wh = np.concatenate([first_wh, second_wh[two]])
    sw_order = np.lexsort((sw_wh, sw_seller))
    sw_seller, sw_wh = sw_seller[sw_order], sw_wh[sw_order]
    n_sw = len(sw_seller)
    early = rng.random(n_sw) < 0.55
    t0 = np.where(
        early,
        start + rng.exponential(2 * 86400, n_sw),
        start + rng.random(n_sw) * days * 86400,
    ).astype(np.int64)
    t0 = np.minimum(t0, end - 3600)

    n_lines = np.minimum(1 + rng.poisson(1.5, n_sw), world.seller_n_sku[sw_seller])
    sl_sw = np.repeat(np.arange(n_sw), n_lines)
    sl_rank = group_position(sl_sw)
    sl_seller = sw_seller[sl_sw]
    sl_wh = sw_wh[sl_sw]
    sl_sku = world.seller_sku_offset[sl_seller] + sl_rank
    n_sl = len(sl_sw)
    lam = world.seller_weight[sl_seller] * np.exp(rng.normal(0, 0.7, n_sl)) / (1 + sl_rank) ** 0.7
    lam *= LINES_PER_DAY * world.scale / lam.sum()
    lot_q = _nice(np.maximum(lam * 1.4 * rng.uniform(6, 25, n_sl), rng.uniform(50, 300, n_sl)))
    sales_from = t0[sl_sw] + 86400
    active_days = np.maximum(end - sales_from, 0) / 86400

    # sale events, in stock-line then time order --------------------------------------------
    n_ev = rng.poisson(lam * active_days)
    ev_sl = np.repeat(np.arange(n_sl), n_ev)
    ev_t = sales_from[ev_sl] + (rng.random(len(ev_sl)) * (end - sales_from[ev_sl])).astype(np.int64)
    order = np.lexsort((ev_t, ev_sl))
    ev_sl, ev_t = ev_sl[order], ev_t[order]
    n_events = len(ev_sl)
    ev_qty = _fill_lots_exactly(ev_sl, rng.choice(3, n_events, p=WH_QTY_P) + 1, lot_q[ev_sl])
    ev_k = (_group_cumsum(ev_sl, ev_qty) - 1) // lot_q[ev_sl]

    # lots -----------------------------------------------------------------------------------
    has_events = np.bincount(ev_sl, minlength=n_sl) > 0
    keys = np.concatenate([ev_sl * 10**6 + ev_k, np.flatnonzero(~has_events) * 10**6])
    lot_keys, ev_lot_all = np.unique(keys, return_inverse=True)
    ev_lot = ev_lot_all[:n_events]
    lot_sl, lot_k = lot_keys // 10**6, lot_keys % 10**6
    n_lots = len(lot_keys)
    first_sale = np.full(n_lots, end, dtype=np.int64)
    np.minimum.at(first_sale, ev_lot, ev_t)
    received_qty = lot_q[lot_sl]
    lead = (rng.uniform(0.5, 6.0, n_lots) * 86400).astype(np.int64)
    want = np.where(lot_k == 0, t0[sl_sw[lot_sl]], first_sale - lead)
    want = np.maximum(want, t0[sl_sw[lot_sl]])
    received_at = _group_cummax(lot_sl, want)

    lot_seller = sl_seller[lot_sl]
    lot_wh = sl_wh[lot_sl]
    lot_sku = sl_sku[lot_sl]
    lot_cur = WH_CURRENCY[lot_wh]
    lot_day = received_at // 86400 + 719163
    lot_num = event_number(Kind.LOT, lot_day, _day_positions(lot_day, received_at))
    # receipts: lots of one seller arriving at one warehouse at the same time
    rkey = np.lexsort((received_at, lot_wh, lot_seller))
    same = np.zeros(n_lots, dtype=bool)
    same[rkey[1:]] = (
        (lot_seller[rkey[1:]] == lot_seller[rkey[:-1]])
        & (lot_wh[rkey[1:]] == lot_wh[rkey[:-1]])
        & (received_at[rkey[1:]] == received_at[rkey[:-1]])
    )
    head = np.empty(n_lots, dtype=np.int64)
    head_sorted = np.maximum.accumulate(np.where(~same[rkey], np.arange(n_lots), 0))
    head[rkey] = rkey[head_sorted]
    is_head = head == np.arange(n_lots)
    head_pos = np.zeros(n_lots, dtype=np.int64)
    head_pos[is_head] = _day_positions(lot_day[is_head], received_at[is_head])
    receipt_num = event_number(Kind.RECEIPT, lot_day[head], head_pos[head])

    # declared unit values and the anomaly
    honest_unit = world.sku_price_eur[lot_sku] * W.FX[lot_cur] * rng.uniform(0.55, 0.8, n_lots)
    risk = world.seller_risk[lot_seller]
    bad = rng.random(n_lots) < np.minimum(UNDERVALUATION_RATE * risk / risk.mean(), 0.8)
    unit = np.where(bad, honest_unit * rng.uniform(0.12, 0.75, n_lots), honest_unit)
    fine = rng.random(n_lots) < 0.3
    unit_m4 = np.maximum(np.where(fine, np.round(unit * M4), np.round(unit * 100) * 100), 1).astype(
        np.int64
    )
    honest_m4 = np.maximum(np.round(honest_unit * 100) * 100, 1).astype(np.int64)
    honest_m4 = np.where(bad, honest_m4, unit_m4)

    wh_country = WH_COUNTRY[lot_wh]
    decl_num = event_number(Kind.WH_DECLARATION, lot_day, _day_positions(lot_day, received_at))
    declared_at = received_at - rng.integers(2 * 3600, 30 * 3600, n_lots)
    early_lot = declared_at < start  # cleared before the window: move it inside, before receipt
    declared_at[early_lot] = start + (
        rng.random(int(early_lot.sum())) * (received_at[early_lot] - start)
    ).astype(np.int64)
    receipts = {
        "warehouse": lot_wh,
        "receipt_num": receipt_num,
        "lot_num": lot_num,
        "received_at": received_at,
        "seller": lot_seller,
        "sku": lot_sku,
        "qty": received_qty,
        "unit_value": unit_m4,
        "cur": lot_cur,
        "decl_num": decl_num,
        "declared_at": declared_at,
        "country": wh_country,
    }

    # WH declarations -----------------------------------------------------------------------
    declarant = pick_declarants(lot_seller, wh_country, rng)
    declarant = np.where(declarant == -2, world.seller_declarant[lot_seller], declarant)
    rep = (lot_seller * 7 + wh_country * 3) % REPS_PER_COUNTRY
    value = received_qty * unit_m4
    true_value = received_qty * honest_m4
    mass = world.sku_mass_kg[lot_sku] * received_qty * np.exp(rng.normal(0, 0.05, n_lots))
    mass += 20.0 * np.ceil(received_qty / 500)
    product = world.sku_product[lot_sku]
    transport = np.where(
        rng.random(n_lots) < 0.85, np.round(value * rng.uniform(0.04, 0.12, n_lots) / 100) * 100, -1
    ).astype(np.int64)
    insurance = np.where(
        rng.random(n_lots) < 0.6, np.round(value * rng.uniform(0.003, 0.01, n_lots) / 100) * 100, -1
    ).astype(np.int64)
    decls = {
        "decl_num": decl_num,
        "item_no": np.ones(n_lots, dtype=np.int64),
        "declared_at": declared_at,
        "country": wh_country,
        "declarant": declarant,
        "buyer": np.full(n_lots, -1, dtype=np.int64),
        "importer_rep": wh_country * REPS_PER_COUNTRY + rep,
        "seller": lot_seller,
        "parcel_num": np.full(n_lots, -1, dtype=np.int64),
        "ioss": np.full(n_lots, -1, dtype=np.int64),
        "procedure": np.full(n_lots, 2, dtype=np.int64),
        "hs_product": product,
        "hs_extra": world.sku_extra[lot_sku],
        "hs_extra_len": world.sku_extra_len[lot_sku],
        "description": product,
        "origin": world.sku_origin[lot_sku],
        "qty": received_qty,
        "mass_g": np.maximum(np.round(mass * 1000), 1).astype(np.int64),
        "declared": value,
        "cur": lot_cur,
        "transport": transport,
        "insurance": insurance,
    }
    duty = W.PRODUCT_DUTY[product]
    vat = W.COUNTRY_VAT[wh_country]
    revenue = (value_eur(true_value, lot_cur) - value_eur(value, lot_cur)) * (
        duty + vat * (1 + duty)
    )
    labels = {
        "anomaly": np.full(int(bad.sum()), WAREHOUSE),
        "decl_num": decl_num[bad],
        "declared_at": declared_at[bad],
        "country": wh_country[bad],
        "item_no": np.ones(int(bad.sum()), dtype=np.int64),
        "parcel_num": np.full(int(bad.sum()), -1, dtype=np.int64),
        "lot_num": lot_num[bad],
        "true": true_value[bad],
        "declared": value[bad],
        "cur": lot_cur[bad],
        "revenue_eur": np.round(revenue[bad] * M4).astype(np.int64),
    }
    facts = {
        "decl_num": decl_num,
        "declared_at": declared_at,
        "country": wh_country,
        "cur": lot_cur,
        "anomaly": np.where(bad, WAREHOUSE, NONE),
        "declared": value,
        "true": true_value,
        "revenue_eur": np.where(bad, revenue, 0.0),
        "procedure": np.full(n_lots, 2, dtype=np.int64),
        "high_risk": world.seller_risk[lot_seller] > 1,
    }

    # sales: events -> order lines -------------------------------------------------------------
    ev_seller = sl_seller[ev_sl]
    ev_wh = sl_wh[ev_sl]
    ev_received = received_at[ev_lot]
    by_shop = np.lexsort((np.arange(n_events), ev_t, ev_wh, ev_seller))
    s_seller, s_wh, s_t = ev_seller[by_shop], ev_wh[by_shop], ev_t[by_shop]
    cand_merge = np.zeros(n_events, dtype=bool)
    cand_merge[1:] = (
        (s_seller[1:] == s_seller[:-1])
        & (s_wh[1:] == s_wh[:-1])
        & (ev_sl[by_shop][1:] != ev_sl[by_shop][:-1])
        & (s_t[1:] - s_t[:-1] < 6 * 3600)
        & (ev_received[by_shop][1:] <= s_t[:-1])
    )
    cand_merge &= rng.random(n_events) < 0.35
    merged = cand_merge & ~np.r_[False, cand_merge[:-1]]
    order_of = np.cumsum(~merged) - 1  # order index per event, in by_shop order
    order_t = s_t[~merged]
    s_t = order_t[order_of]
    line_no = group_position(order_of) + 1
    n_orders = len(order_t)
    ordered_at = np.empty(n_events, dtype=np.int64)
    ordered_at[by_shop] = s_t
    ev_line = np.empty(n_events, dtype=np.int64)
    ev_line[by_shop] = line_no
    ev_order = np.empty(n_events, dtype=np.int64)
    ev_order[by_shop] = order_of

    o_wh = s_wh[~merged]
    o_region = WH_REGION[o_wh]
    o_country = WH_COUNTRY[o_wh].copy()
    eu = o_region == "EU"
    elsewhere = eu & (rng.random(n_orders) < 0.45)
    eu_dest = np.flatnonzero(W.IS_EU[W.DEST_COUNTRY])
    eu_p = W.DEST_P[eu_dest] / W.DEST_P[eu_dest].sum()
    o_country[elsewhere] = W.DEST_COUNTRY[
        eu_dest[rng.choice(len(eu_dest), int(elsewhere.sum()), p=eu_p)]
    ]
    dest_of_country = np.full(len(W.COUNTRIES), -1)
    dest_of_country[W.DEST_COUNTRY] = np.arange(len(W.DEST_COUNTRY))
    o_dest = dest_of_country[o_country]
    u = rng.random(n_orders)
    mpi = cat.MARKETPLACE_INDEX
    o_mp = np.select(
        [eu & (u < 0.55), eu, (o_region == "GB") & (u < 0.6)],
        [mpi["eurocart"], mpi["globuy"], mpi["britshop"]],
        mpi["globuy"],
    )
    o_buyer = world.sample_buyers(o_dest, rng)
    o_day = order_t // 86400 + 719163
    o_num = event_number(Kind.WH_ORDER, o_day, _day_positions(o_day, order_t))
    o_parcel = event_number(Kind.WH_PARCEL, o_day, _day_positions(o_day, order_t))

    mp = o_mp[ev_order]
    cur = W.MP_CURRENCY[mp]
    sku = sl_sku[ev_sl]
    unit_price = price_m4(world, sku, mp, rng, level=1.12)
    gross = ev_qty * unit_price
    discount, shipping, insurance_fee = fees(rng, mp, cur, gross, ev_order, n_orders)
    lines = {
        "day": o_day[ev_order],
        "order_num": o_num[ev_order],
        "line_no": ev_line,
        "mp": mp,
        "cur": cur,
        "seller": ev_seller,
        "buyer": o_buyer[ev_order],
        "dest": o_dest[ev_order],
        "country": o_country[ev_order],
        "ship_from": WH_COUNTRY[ev_wh],
        "sku": sku,
        "qty": ev_qty,
        "unit_price": unit_price,
        "discount": discount,
        "shipping": shipping,
        "insurance": insurance_fee,
        "net": gross - np.maximum(discount, 0),
        "ordered_at": ordered_at,
        "parcel_num": o_parcel[ev_order],
        "warehouse": ev_wh,
        "ioss": np.full(n_events, -1, dtype=np.int64),
        "hs_present": rng.random(n_events) >= W.MP_HS_MISSING[mp],
    }

    # dispatches: strictly increasing per stock line, so FIFO by time = the generator's lots
    delay = rng.integers(3600, 36 * 3600, n_events)
    x = ordered_at + delay  # events are in stock-line, time order
    pos = group_position(ev_sl)
    dispatched_at = pos + _group_cummax(ev_sl, x - pos)
    keep = dispatched_at < end
    d_day = dispatched_at // 86400 + 719163
    dispatches = {
        "warehouse": ev_wh,
        "dispatch_num": event_number(Kind.DISPATCH, d_day, _day_positions(d_day, dispatched_at)),
        "dispatched_at": dispatched_at,
        "order_num": o_num[ev_order],
        "mp": mp,
        "line_no": ev_line,
        "sku": sku,
        "lot_num": np.where(rng.random(n_events) < 0.2, -1, lot_num[ev_lot]),
        "qty": ev_qty,
    }
    dispatches = {k: v[keep] for k, v in dispatches.items()}
    return {
        "lines": lines,
        "receipts": receipts,
        "declarations": decls,
        "labels": labels,
        "facts": facts,
        "dispatches": dispatches,
    }
