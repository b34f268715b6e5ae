"""Import declarations of directly shipped parcels (like the EU H7 low-value dataset), with the
injected anomalies.

One declaration per parcel that crosses a customs border (EU sellers shipping to EU buyers, and
US or GB sellers shipping domestically, need none). Items follow the parcel's order lines in
``line_id`` order: **item_no = position of the line within the parcel**, so a declaration item is
matched to its order line by ``parcel_id`` + item position. Fields:

- ``declared_at``: ``ordered_at`` + ``(1 + 4 * Beta(1.3, 3))`` days (1-5 days, mean 2.1); only
  declarations that fall inside the generated window are written, so the last days' orders have
  no declaration yet.
- ``jurisdiction``: the buyer's country; ``importer_id``: the buyer's (clear) id;
  ``declarant_id``: a global courier (60%, mostly the seller's preferred one) or a broker of the
  jurisdiction's region; ``ioss_number``: the parcel's, as on the order.
- ``procedure``: H7 when the parcel's declared value is at most EUR 150 (indicative rates),
  else H1. ``hs_code``: the SKU's 6-10 digit code (2% of items declare a sibling subheading of
  the same heading: ordinary classification noise). ``description``: the product's; 1.5% of
  items carry a vague one ("Gift", "Parts", ...).
- ``gross_mass_kg``: unit mass x quantity x ``exp(N(0, 0.08))`` plus 20-150 g of packaging.
- ``declared_value``: the price paid, ``quantity * unit_price - discount``; for 5% of honest
  items rounded to whole currency units and for 1% off by up to 3% (ordinary sloppiness).
- ``transport_cost``: known for 70% of declarations: the buyer's shipping fees when they are all
  known and not free, else a courier rate (EUR 2.5 + 4/kg, +-25%), spread over the items by
  value. ``insurance_cost``: 12% of declarations, 1% of the value.

Anomalies (labelled in ``labels.parquet``; targets as a share of all declarations):

- **undervaluation** (~2%): every item of the declaration declared at a share of the price paid
  drawn per declaration from three bands (``UNDERVALUATION_BANDS``): 10-60% (55% of cases),
  60-80% (30%) and 80-95% (15%, close to honest noise), +-3% per item, written in cents (45%),
  as a charm price ``x.99`` (30%) or in whole units (25%): the same shapes honest values have
  (charm prices, whole-unit rounding), in other proportions.
- **misclassification** (~1%): items of a product with a duty rate of 4% or more declared under
  a lower-duty subheading of another chapter (books, laptops, memory cards, toys, ...); 30% go
  instead to the heading of another chapter whose duty is the highest below the product's (a
  small duty gap). The description stays the product's, except for 25% of them, which carry a
  vague one ("Gift", "Parts", ...).
- Honest look-alikes: 1% of honest items are declared at 50-90% of the price paid (a partial
  refund after the sale that the order feed does not show).
- **split_consignment** (~1%): decided on the order (see ``orders``): one parcel per line, each
  under EUR 150, together over it; values are honest.
The probability of each is proportional to the seller's risk (10x for high-risk sellers) times
the declarant's (3x for complicit ones), normalised to the target rate.

``revenue_at_stake_eur`` is a rough duty + VAT difference in EUR, ignoring low-value reliefs and
flat duties: undervaluation ``(true - declared) * (d + v * (1 + d))``; misclassification
``value * (d_true - d_declared) * (1 + v)``; split consignment ``value * d * (1 + v)`` (the duty
the relief avoided); ``d`` the product's indicative duty rate, ``v`` the destination's VAT/GST.
"""

from __future__ import annotations

import numpy as np

from customs.generator import catalogue as cat
from customs.generator import world as W
from customs.generator.ids import Kind, event_number
from customs.generator.orders import M4, group_position, value_eur
from customs.generator.world import World

UNDERVALUATION_RATE = 0.021
MISCLASSIFICATION_RATE = 0.018
MISCLASSIFIABLE_DUTY = 0.04
GLOBAL_COURIER_SHARE = 0.6

NONE, UNDERVALUATION, MISCLASSIFICATION, SPLIT, WAREHOUSE = 0, 1, 2, 3, 4
ANOMALY_NAMES = (
    "",
    "undervaluation",
    "misclassification",
    "split_consignment",
    "warehouse_undervaluation",
)


def _decoy_matrix() -> tuple[np.ndarray, np.ndarray]:
    """Decoy product indices, and valid[p, j]: decoy j may stand in for product p (another
    chapter, a lower duty rate)."""
    hs6 = [p.hs6 for p in cat.PRODUCTS]
    decoys = np.array([hs6.index(h) for h in cat.DECOY_HS6])
    valid = (W.PRODUCT_CHAPTER[:, None] != W.PRODUCT_CHAPTER[decoys][None, :]) & (
        W.PRODUCT_DUTY[decoys][None, :] < W.PRODUCT_DUTY[:, None]
    )
    return decoys, valid


DECOYS, DECOY_VALID = _decoy_matrix()


def _siblings() -> np.ndarray:
    """For each product, another product of the same heading (itself where there is none)."""
    heading = np.array([p.hs6[:4] for p in cat.PRODUCTS])
    out = np.arange(len(heading))
    for i, h in enumerate(heading):
        same = np.flatnonzero((heading == h) & (np.arange(len(heading)) != i))
        if len(same):
            out[i] = same[0]
    return out


SIBLING = _siblings()


def _nearest_lower() -> np.ndarray:
    """For each product, the product of another chapter whose duty rate is the highest below its
    own (itself where there is none): a misclassification with a small duty gap."""
    duty, chapter = W.PRODUCT_DUTY, W.PRODUCT_CHAPTER
    out = np.arange(len(duty))
    for i in range(len(duty)):
        lower = np.flatnonzero((chapter != chapter[i]) & (duty < duty[i]))
        if len(lower):
            out[i] = lower[np.argmax(duty[lower])]
    return out


NEAREST_LOWER = _nearest_lower()

# Anomaly strength (docs/generator.md "Anomaly strength"): the share of the price an undervalued
# declaration states is drawn from three bands, blatant, moderate and mild (near honest noise).
UNDERVALUATION_BANDS = ((0.55, 0.10, 0.60), (0.30, 0.60, 0.80), (0.15, 0.80, 0.95))
SMALL_GAP_MISCLASSIFICATION_SHARE = 0.3  # to the nearest lower-duty heading of another chapter
HIDDEN_DESCRIPTION_SHARE = 0.25  # misclassified items whose description is made vague
PRICE_ADJUSTED_SHARE = 0.01  # honest items declared at 50-90% of the price (partial refund)


def pick_declarants(
    seller: np.ndarray, country: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Declarant per declaration: -2 = a global courier (chosen by the caller), else a broker of
    the jurisdiction's region."""
    n = len(seller)
    out = np.empty(n, dtype=np.int64)
    region = W.COUNTRY_REGION[country]
    glob = rng.random(n) < GLOBAL_COURIER_SHARE
    out[glob] = -2  # filled by the caller with the seller's preference
    for r in range(len(W.REGIONS)):
        members = np.flatnonzero(r == W.DECLARANT_REGION)
        sel = ~glob & (region == r)
        p = W.DECLARANT_WEIGHT[members] / W.DECLARANT_WEIGHT[members].sum()
        out[sel] = members[rng.choice(len(members), int(sel.sum()), p=p)]
    return out


def declare_direct(
    world: World, lines: dict[str, np.ndarray], rng: np.random.Generator, window_end: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Declaration items, label rows and per-declaration facts for one order day's lines."""
    idx = np.flatnonzero(lines["needs_decl"])
    idx = idx[np.lexsort((lines["line_no"][idx], lines["parcel_pos"][idx]))]
    L = {k: v[idx] for k, v in lines.items()}
    n = len(idx)
    item_no = group_position(L["parcel_pos"]) + 1
    first = np.flatnonzero(item_no == 1)
    decl_of_item = np.cumsum(item_no == 1) - 1
    n_decl = len(first)

    # declaration-level facts
    d_seller = L["seller"][first]
    d_country = L["country"][first]
    d_cur = L["cur"][first]
    lag = (1.0 + 4.0 * rng.beta(1.3, 3.0, n_decl)) * 86400
    declared_at = L["ordered_at"][first] + lag.astype(np.int64)
    declarant = pick_declarants(d_seller, d_country, rng)
    pref = rng.random(n_decl) < 0.7
    glob_pick = W.GLOBAL_DECLARANTS[
        rng.choice(
            len(W.GLOBAL_DECLARANTS),
            n_decl,
            p=W.DECLARANT_WEIGHT[W.GLOBAL_DECLARANTS]
            / W.DECLARANT_WEIGHT[W.GLOBAL_DECLARANTS].sum(),
        )
    ]
    declarant = np.where(
        declarant == -2, np.where(pref, world.seller_declarant[d_seller], glob_pick), declarant
    )

    product = world.sku_product[L["sku"]]
    duty = W.PRODUCT_DUTY[product]
    mc_item = duty >= MISCLASSIFIABLE_DUTY
    d_mc_ok = np.bincount(decl_of_item, weights=mc_item, minlength=n_decl) > 0
    d_split = L["split_fraud"][first]

    risk = world.seller_risk[d_seller] * W.DECLARANT_RISK[declarant]
    norm = risk / risk.mean() if n_decl else risk
    u = rng.random(n_decl)
    p_uv = np.minimum(UNDERVALUATION_RATE * norm, 0.5)
    p_mc = np.minimum(MISCLASSIFICATION_RATE * norm, 0.3)
    d_anomaly = np.full(n_decl, NONE)
    d_anomaly[~d_split & (u < p_uv)] = UNDERVALUATION
    d_anomaly[~d_split & (u >= p_uv) & (u < p_uv + p_mc) & d_mc_ok] = MISCLASSIFICATION
    d_anomaly[d_split] = SPLIT
    anomaly = d_anomaly[decl_of_item]

    # values
    true = L["net"]
    cur = L["cur"]
    whole = np.maximum(np.round(true / M4), 1).astype(np.int64) * M4
    off = np.round(true * rng.uniform(0.97, 1.03, n) / 100).astype(np.int64) * 100
    v = rng.random(n)
    declared = np.where(v < 0.05, whole, np.where(v < 0.06, np.maximum(off, 100), true))
    # undervalued: a fraction of the price, written as a fraudster would: cents, x.99 or whole
    band = np.searchsorted(
        np.cumsum([b[0] for b in UNDERVALUATION_BANDS]), rng.random(n_decl), side="right"
    )
    band = np.minimum(band, len(UNDERVALUATION_BANDS) - 1)
    lo = np.array([b[1] for b in UNDERVALUATION_BANDS])[band]
    hi = np.array([b[2] for b in UNDERVALUATION_BANDS])[band]
    d_f = lo + (hi - lo) * rng.random(n_decl)
    f = np.clip(d_f[decl_of_item] * rng.uniform(0.97, 1.03, n), 0.1, 0.95)
    uv_cents = np.maximum(np.round(true * f / 100).astype(np.int64) * 100, 100)
    uv_whole = np.maximum(np.round(true * f / M4).astype(np.int64) * M4, M4)
    uv_charm = np.where(uv_cents >= 2 * M4, (uv_cents // M4) * M4 - 100, uv_cents)
    style = rng.random(n_decl)[decl_of_item]
    uv_value = np.where(style < 0.25, uv_whole, np.where(style < 0.55, uv_charm, uv_cents))
    uv_value = np.where(uv_value <= (f + 0.02) * true, uv_value, uv_cents)
    uv_value = np.minimum(uv_value, np.maximum(true - 100, 100))
    is_uv = anomaly == UNDERVALUATION
    declared = np.where(is_uv, uv_value, declared)
    # honest look-alikes: a partial refund after the sale lowers the declared value
    adjusted = (anomaly == NONE) & (rng.random(n) < PRICE_ADJUSTED_SHARE)
    adjusted_value = np.maximum(np.round(true * rng.uniform(0.5, 0.9, n) / 100), 1) * 100
    declared = np.where(adjusted, adjusted_value.astype(np.int64), declared)
    label_true = true

    # classification
    is_mc = (anomaly == MISCLASSIFICATION) & mc_item
    scores = rng.random((n, len(DECOYS))) * DECOY_VALID[product]
    decoy = DECOYS[np.argmax(scores, axis=1)]
    small_gap = rng.random(n) < SMALL_GAP_MISCLASSIFICATION_SHARE
    decoy = np.where(small_gap & (NEAREST_LOWER[product] != product), NEAREST_LOWER[product], decoy)
    near_miss = ~is_mc & (rng.random(n) < 0.02)
    hs_product = np.where(is_mc, decoy, np.where(near_miss, SIBLING[product], product))
    vague = (rng.random(n) < 0.015) | (is_mc & (rng.random(n) < HIDDEN_DESCRIPTION_SHARE))
    description = np.where(vague, -1 - rng.integers(0, len(cat.VAGUE_DESCRIPTIONS), n), product)

    # mass, costs, procedure
    qty = L["qty"]
    mass_kg = world.sku_mass_kg[L["sku"]] * qty * np.exp(rng.normal(0, 0.08, n))
    mass_kg += rng.uniform(0.02, 0.15, n)
    mass_g = np.maximum(np.round(mass_kg * 1000), 1).astype(np.int64)
    d_declared = np.bincount(decl_of_item, weights=declared, minlength=n_decl)
    d_mass = np.bincount(decl_of_item, weights=mass_g, minlength=n_decl) / 1000
    ship = L["shipping"]
    d_ship_unknown = np.bincount(decl_of_item, weights=ship < 0, minlength=n_decl) > 0
    d_ship = np.bincount(decl_of_item, weights=np.maximum(ship, 0), minlength=n_decl)
    courier = (2.5 + 4.0 * d_mass) * W.FX[d_cur] * rng.uniform(0.75, 1.25, n_decl)
    courier_m4 = np.round(courier * 100) * 100
    d_transport = np.where(~d_ship_unknown & (d_ship > 0), d_ship, courier_m4)
    d_transport_known = rng.random(n_decl) < 0.7
    share = declared / np.maximum(d_declared[decl_of_item], 1)
    transport = np.where(
        d_transport_known[decl_of_item], np.round(d_transport[decl_of_item] * share), -1
    ).astype(np.int64)
    insurance = np.where(
        (rng.random(n_decl) < 0.12)[decl_of_item], np.round(declared * 0.01 / 100) * 100, -1
    ).astype(np.int64)
    d_h1 = value_eur(d_declared, d_cur) > cat.LOW_VALUE_THRESHOLD_EUR

    decl_num = event_number(Kind.DECLARATION, L["day"][first], L["parcel_pos"][first])
    parcel_num = L["parcel_num"]
    keep_decl = declared_at < window_end
    keep = keep_decl[decl_of_item]

    items = {
        "decl_num": decl_num[decl_of_item],
        "item_no": item_no,
        "declared_at": declared_at[decl_of_item],
        "country": L["country"],
        "declarant": declarant[decl_of_item],
        "buyer": L["buyer"],
        "importer_rep": np.full(n, -1, dtype=np.int64),
        "seller": L["seller"],
        "parcel_num": parcel_num,
        "ioss": L["ioss"],
        "procedure": np.where(d_h1, 1, 0)[decl_of_item],
        "hs_product": hs_product,
        "hs_extra": world.sku_extra[L["sku"]],
        "hs_extra_len": world.sku_extra_len[L["sku"]],
        "description": description,
        "origin": world.sku_origin[L["sku"]],
        "qty": qty,
        "mass_g": mass_g,
        "declared": declared,
        "cur": cur,
        "transport": transport,
        "insurance": insurance,
    }
    items = {k: v[keep] for k, v in items.items()}

    # labels: one row per anomalous item
    vat = W.COUNTRY_VAT[L["country"]]
    true_eur = value_eur(label_true, cur)
    decl_eur = value_eur(declared, cur)
    decoy_duty = W.PRODUCT_DUTY[hs_product]
    revenue = np.select(
        [is_uv, is_mc, anomaly == SPLIT],
        [
            (true_eur - decl_eur) * (duty + vat * (1 + duty)),
            decl_eur * (duty - decoy_duty) * (1 + vat),
            decl_eur * duty * (1 + vat),
        ],
        0.0,
    )
    labelled = (is_uv | is_mc | (anomaly == SPLIT)) & keep
    labels = {
        "anomaly": anomaly[labelled],
        "decl_num": decl_num[decl_of_item][labelled],
        "declared_at": declared_at[decl_of_item][labelled],
        "country": L["country"][labelled],
        "item_no": item_no[labelled],
        "parcel_num": parcel_num[labelled],
        "lot_num": np.full(int(labelled.sum()), -1, dtype=np.int64),
        "true": label_true[labelled],
        "declared": declared[labelled],
        "cur": cur[labelled],
        "revenue_eur": np.round(revenue[labelled] * M4).astype(np.int64),
    }

    # declaration facts for inspections
    d_true = np.bincount(decl_of_item, weights=label_true, minlength=n_decl)
    d_rev = np.bincount(decl_of_item, weights=revenue, minlength=n_decl)
    facts = {
        "decl_num": decl_num,
        "declared_at": declared_at,
        "country": d_country,
        "cur": d_cur,
        "anomaly": d_anomaly,
        "declared": d_declared.astype(np.int64),
        "true": d_true.astype(np.int64),
        "revenue_eur": d_rev,
        "procedure": np.where(d_h1, 1, 0),
        "high_risk": world.seller_risk[d_seller] > 1,
    }
    facts = {k: v[keep_decl] for k, v in facts.items()}
    return items, labels, facts
