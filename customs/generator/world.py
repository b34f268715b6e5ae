"""The static world a sample is drawn from: sellers, their SKUs, buyers, declarants.

It depends on ``(seed, scale)`` only, not on the dates generated, so two windows generated with
the same seed and scale share sellers, SKUs and buyers.

Distributions:

- **Sellers**: ``round(3000 * sqrt(scale))`` (at least 60). Volume weights follow a Zipf law over
  the seller's rank, ``w ~ rank**-0.9``: at scale 1 the top 1% of sellers (30) carry about 45% of
  the order lines, the median seller a handful a month. Countries: CN 60%, HK 9%, TR, IN, VN, US 5%
  each, GB 4%, KR 3%, a few EU (DE, IT, PL, FR, NL). Each seller lists on 1-6 marketplaces
  (CN/HK sellers on the CNY marketplace ``dragonmart`` too) and specialises in one product group.
  6% of sellers are *high-risk*: their declarations are 10 times as likely to be anomalous.
  About 10% of non-EU sellers hold their own IOSS number (35% of the top 5%).
- **SKUs**: ``exp(N(log 6, 0.9)) * (w / median w)**0.3`` per seller, 1 to 600 (about 10 on
  average at scale 1). A SKU maps to one catalogue HS6: 75% from the seller's group, 25% from
  the whole catalogue, both weighted by the product's popularity. Its unit price is
  ``exp(N(log median, sigma))`` EUR, its mass the catalogue's times ``exp(N(0, 0.25))``, its
  declared code HS6 (50%), HS6 + 2 digits (35%) or HS6 + 4 digits (15%). Origin follows the
  seller country's mix (a US seller's goods are 60% made in CN). 55% of SKUs use charm prices
  (``x.99``).
- **Buyers**: ``round(60000 * scale)`` (at least 2,000), split over destinations by their order
  share; a buyer is drawn as ``floor(n * u**1.4)`` within the destination, so some buy often.
- **Declarants**: 30 couriers and brokers (8 global, 12 EU, 3 GB, 3 US, 2 AU, 1 CA, 1 IN) with
  market-share weights; sellers stick to a preferred global courier. Three declarants (one
  global courier, two EU brokers) are complicit: 3 times the anomaly rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from customs.generator import catalogue as cat
from customs.generator.ids import affine, ioss_numbers, with_prefix

# Every country code the generator uses, indexed by small integers in the frames.
COUNTRIES: tuple[str, ...] = tuple(
    sorted(
        {d.country for d in cat.DESTINATIONS}
        | {c for c, _, _ in cat.SELLER_COUNTRIES}
        | {o for _, _, mix in cat.SELLER_COUNTRIES for o, _ in mix}
        | {w.country for w in cat.WAREHOUSES}
    )
)
COUNTRY_INDEX = {c: i for i, c in enumerate(COUNTRIES)}
# Customs territory of each country: EU members share one.
TERRITORY = np.array(
    [0 if c in cat.EU_MEMBERS else 1 + i for i, c in enumerate(COUNTRIES)], dtype=np.int64
)
IS_EU = np.array([c in cat.EU_MEMBERS for c in COUNTRIES])

GROUPS: tuple[str, ...] = tuple(sorted({p.group for p in cat.PRODUCTS}))
N_PRODUCTS = len(cat.PRODUCTS)
PRODUCT_GROUP = np.array([GROUPS.index(p.group) for p in cat.PRODUCTS])
PRODUCT_POP = np.array([p.popularity for p in cat.PRODUCTS])
PRODUCT_MEDIAN = np.array([p.median_eur for p in cat.PRODUCTS])
PRODUCT_SIGMA = np.array([p.sigma for p in cat.PRODUCTS])
PRODUCT_MASS = np.array([p.mass_kg for p in cat.PRODUCTS])
PRODUCT_DUTY = np.array([p.duty_pct for p in cat.PRODUCTS]) / 100.0
PRODUCT_CHAPTER = np.array([int(p.hs6[:2]) for p in cat.PRODUCTS])
PRODUCT_HS6 = pl.Series("hs6", [p.hs6 for p in cat.PRODUCTS])
PRODUCT_DESCRIPTION = pl.Series("description", [p.description for p in cat.PRODUCTS])

DEST_COUNTRY = np.array([COUNTRY_INDEX[d.country] for d in cat.DESTINATIONS])
DEST_P = np.array([d.weight for d in cat.DESTINATIONS]) / sum(d.weight for d in cat.DESTINATIONS)
REGIONS: tuple[str, ...] = tuple(cat.REGION_MARKETPLACES)
DEST_REGION = np.array([REGIONS.index(d.region) for d in cat.DESTINATIONS])
COUNTRY_REGION = np.full(len(COUNTRIES), -1, dtype=np.int64)  # -1: not a destination
COUNTRY_REGION[DEST_COUNTRY] = DEST_REGION
# VAT/GST rate by country index (0 where the generator never imports into it).
COUNTRY_VAT = np.zeros(len(COUNTRIES))
for _d in cat.DESTINATIONS:
    COUNTRY_VAT[COUNTRY_INDEX[_d.country]] = _d.vat_pct / 100.0

CURRENCIES: tuple[str, ...] = tuple(cat.FX_PER_EUR)
FX = np.array([cat.FX_PER_EUR[c] for c in CURRENCIES])
MP_CURRENCY = np.array([CURRENCIES.index(m.currency) for m in cat.MARKETPLACES])
MP_PRICE_FACTOR = np.array([m.price_factor for m in cat.MARKETPLACES])
MP_HS_MISSING = np.array([m.hs_code_missing for m in cat.MARKETPLACES])
MP_SHIPPING_UNKNOWN = np.array([m.shipping_unknown for m in cat.MARKETPLACES])
MP_HAS_IOSS = np.array([m.ioss_msi is not None for m in cat.MARKETPLACES])

DECLARANT_IDS = pl.Series("declarant_id", [d[0] for d in cat.DECLARANTS])
DECLARANT_REGION = np.array(
    [-1 if d[1] == "*" else REGIONS.index(d[1]) for d in cat.DECLARANTS], dtype=np.int64
)
DECLARANT_WEIGHT = np.array([d[2] for d in cat.DECLARANTS], dtype=float)
GLOBAL_DECLARANTS = np.flatnonzero(DECLARANT_REGION == -1)
# Complicit declarants: the third global courier and the fourth and eighth EU brokers.
DECLARANT_RISK = np.ones(len(cat.DECLARANTS))
DECLARANT_RISK[[2, 11, 15]] = 3.0

HIGH_RISK_SHARE = 0.06
HIGH_RISK_FACTOR = 10.0


@dataclass(frozen=True)
class World:
    scale: float
    # sellers
    seller_id: pl.Series
    seller_country: np.ndarray  # country index
    seller_weight: np.ndarray  # volume weight, sums to 1
    seller_risk: np.ndarray  # anomaly-rate multiplier
    seller_group: np.ndarray
    seller_sku_offset: np.ndarray
    seller_n_sku: np.ndarray
    seller_declarant: np.ndarray  # preferred global courier
    seller_ioss: np.ndarray  # index into ioss_numbers or -1
    mp_pools: tuple[tuple[np.ndarray, np.ndarray], ...]  # per marketplace: sellers, cum. weight
    # skus
    sku_id: pl.Series
    sku_seller: np.ndarray
    sku_product: np.ndarray
    sku_code: pl.Series  # 6-10 digit declared code
    sku_extra: np.ndarray  # the digits after the HS6 (as int) and their count
    sku_extra_len: np.ndarray
    sku_price_eur: np.ndarray
    sku_mass_kg: np.ndarray
    sku_origin: np.ndarray  # country index
    sku_charm: np.ndarray
    sku_title: pl.Series
    # buyers: per destination index, offset and count in the global buyer numbering
    buyer_offset: np.ndarray
    buyer_count: np.ndarray
    # IOSS numbers: marketplaces first (null where none), then sellers that hold one
    ioss_numbers: pl.Series

    @property
    def n_sellers(self) -> int:
        return len(self.seller_country)

    def sample_sellers(self, mp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.empty(len(mp), dtype=np.int64)
        u = rng.random(len(mp))
        for m, (pool, cum) in enumerate(self.mp_pools):
            sel = mp == m
            pos = np.searchsorted(cum, u[sel] * cum[-1], side="right")
            out[sel] = pool[np.minimum(pos, len(pool) - 1)]
        return out

    def sample_buyers(self, dest: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Global buyer numbers for buyers of the given destination indices."""
        count = self.buyer_count[dest]
        local = np.minimum((count * rng.random(len(dest)) ** 1.4).astype(np.int64), count - 1)
        return self.buyer_offset[dest] + local


def buyer_id_expr(col: str) -> pl.Expr:
    """Clear buyer ids ``BU`` + 9 digits from global buyer numbers."""
    number = pl.col(col).map_batches(
        lambda s: pl.Series(affine(s.to_numpy(), 10**9, 387_420_489, 271_828_182)),
        return_dtype=pl.Int64,
    )
    return with_prefix("BU", number, 9)


def build_world(seed: int, scale: float) -> World:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1, round(scale * 1e6)]))
    n = max(60, round(3000 * np.sqrt(scale)))

    # sellers -------------------------------------------------------------------------
    weight = 1.0 / np.arange(1, n + 1) ** 0.9
    weight /= weight.sum()
    country_codes = [c for c, _, _ in cat.SELLER_COUNTRIES]
    country_p = np.array([s for _, s, _ in cat.SELLER_COUNTRIES])
    seller_country_pos = rng.choice(len(country_codes), n, p=country_p / country_p.sum())
    seller_country = np.array([COUNTRY_INDEX[c] for c in country_codes])[seller_country_pos]
    seller_eu = IS_EU[seller_country]
    risk = np.where(rng.random(n) < HIGH_RISK_SHARE, HIGH_RISK_FACTOR, 1.0)

    group_pop = np.bincount(PRODUCT_GROUP, weights=PRODUCT_POP, minlength=len(GROUPS))
    seller_group = rng.choice(len(GROUPS), n, p=group_pop / group_pop.sum())

    median_w = np.median(weight)
    n_sku = np.exp(rng.normal(np.log(6), 0.9, n)) * (weight / median_w) ** 0.3
    n_sku = np.clip(np.round(n_sku), 1, 600).astype(np.int64)
    sku_offset = np.concatenate([[0], np.cumsum(n_sku)[:-1]])

    # marketplace membership, by seller country
    cn_hk = np.isin(seller_country, [COUNTRY_INDEX["CN"], COUNTRY_INDEX["HK"]])
    east = np.isin(seller_country, [COUNTRY_INDEX[c] for c in ("TR", "VN", "KR")])
    member_p = {
        "globuy": np.full(n, 0.72),
        "eurocart": np.where(seller_eu, 0.9, 0.38),
        "britshop": np.where(seller_country == COUNTRY_INDEX["GB"], 0.95, 0.28),
        "dragonmart": np.where(cn_hk, 0.75, np.where(east, 0.2, 0.0)),
        "southcross": np.full(n, 0.22),
        "maplemarket": np.full(n, 0.2),
    }
    member = np.stack([rng.random(n) < member_p[m.code] for m in cat.MARKETPLACES], axis=1)
    member[~member.any(axis=1), 0] = True
    pools = []
    for m in range(len(cat.MARKETPLACES)):
        pool = np.flatnonzero(member[:, m])
        if len(pool) == 0:
            pool = np.arange(n)
        pools.append((pool, np.cumsum(weight[pool])))

    # preferred global courier
    gw = DECLARANT_WEIGHT[GLOBAL_DECLARANTS]
    seller_declarant = GLOBAL_DECLARANTS[rng.choice(len(gw), n, p=gw / gw.sum())]

    # own IOSS numbers (non-EU sellers; large ones more often)
    top = weight >= np.quantile(weight, 0.95)
    has_ioss = ~seller_eu & (rng.random(n) < np.where(top, 0.35, 0.09))
    msi_codes = np.array([m for m, _ in cat.IOSS_MSI])
    msi_p = np.array([w for _, w in cat.IOSS_MSI])
    n_own = int(has_ioss.sum())
    n_mp = len(cat.MARKETPLACES)
    mp_msi = np.array([m.ioss_msi or "000" for m in cat.MARKETPLACES])
    all_msi = np.concatenate([mp_msi, rng.choice(msi_codes, n_own, p=msi_p / msi_p.sum())])
    serials = rng.choice(10**6, n_mp + n_own, replace=False)
    numbers = ioss_numbers(all_msi, serials)
    numbers = [num if i >= n_mp or MP_HAS_IOSS[i] else None for i, num in enumerate(numbers)]
    seller_ioss = np.full(n, -1, dtype=np.int64)
    seller_ioss[has_ioss] = n_mp + np.arange(n_own)

    seller_num = affine(np.arange(n), 10**7, 7_654_321, 1_357_913)
    seller_id = pl.select(with_prefix("SL", pl.lit(pl.Series(seller_num)), 7)).to_series()

    # SKUs ----------------------------------------------------------------------------
    n_total = int(n_sku.sum())
    sku_seller = np.repeat(np.arange(n), n_sku)
    own_group = rng.random(n_total) < 0.75
    sku_product = np.empty(n_total, dtype=np.int64)
    all_p = PRODUCT_POP / PRODUCT_POP.sum()
    sku_product[~own_group] = rng.choice(N_PRODUCTS, int((~own_group).sum()), p=all_p)
    sku_group = seller_group[sku_seller]
    for g in range(len(GROUPS)):
        sel = own_group & (sku_group == g)
        members = np.flatnonzero(g == PRODUCT_GROUP)
        p = PRODUCT_POP[members] / PRODUCT_POP[members].sum()
        sku_product[sel] = members[rng.choice(len(members), int(sel.sum()), p=p)]

    price = np.exp(rng.normal(np.log(PRODUCT_MEDIAN[sku_product]), PRODUCT_SIGMA[sku_product]))
    price = np.maximum(price, 0.5)
    mass = np.maximum(PRODUCT_MASS[sku_product] * np.exp(rng.normal(0, 0.25, n_total)), 0.005)
    extra_len = rng.choice([0, 2, 4], n_total, p=[0.5, 0.35, 0.15])
    extra = rng.integers(0, 10**4, n_total) // 10 ** (4 - extra_len)
    charm = rng.random(n_total) < 0.55

    sku_origin = np.empty(n_total, dtype=np.int64)
    sku_seller_country = seller_country[sku_seller]
    for code, _, mix in cat.SELLER_COUNTRIES:
        sel = sku_seller_country == COUNTRY_INDEX[code]
        origins = np.array([COUNTRY_INDEX[o] for o, _ in mix])
        p = np.array([s for _, s in mix])
        sku_origin[sel] = origins[rng.choice(len(origins), int(sel.sum()), p=p / p.sum())]

    colour = rng.integers(0, len(cat.COLOURS), n_total)
    prefix = rng.integers(0, len(cat.TITLE_PREFIXES), n_total)
    sku_num = affine(np.arange(n_total), 10**9, 123_454_321, 918_273_645)
    frame = pl.DataFrame(
        {
            "hs6": PRODUCT_HS6.gather(sku_product),
            "description": PRODUCT_DESCRIPTION.gather(sku_product),
            "prefix": pl.Series(cat.TITLE_PREFIXES).gather(prefix),
            "colour": pl.Series(cat.COLOURS).gather(colour),
            "extra": extra,
            "extra_len": extra_len,
            "num": sku_num,
        }
    ).select(
        code=pl.concat_str(
            [
                pl.col("hs6"),
                pl.when(pl.col("extra_len") > 0).then(
                    pl.col("extra").cast(pl.String).str.zfill(pl.col("extra_len"))
                ),
            ],
            ignore_nulls=True,
        ),
        title=pl.concat_str(
            [pl.col("prefix"), pl.col("description"), pl.lit(" - "), pl.col("colour")]
        ),
        sku_id=with_prefix("SKU-", pl.col("num"), 9),
    )

    # buyers --------------------------------------------------------------------------
    n_buyers = max(2000, round(60000 * scale))
    buyer_count = np.maximum(np.round(DEST_P * n_buyers).astype(np.int64), 20)
    buyer_offset = np.concatenate([[0], np.cumsum(buyer_count)[:-1]])

    return World(
        scale=scale,
        seller_id=seller_id,
        seller_country=seller_country,
        seller_weight=weight,
        seller_risk=risk,
        seller_group=seller_group,
        seller_sku_offset=sku_offset,
        seller_n_sku=n_sku,
        seller_declarant=seller_declarant,
        seller_ioss=seller_ioss,
        mp_pools=tuple(pools),
        sku_id=frame["sku_id"],
        sku_seller=sku_seller,
        sku_product=sku_product,
        sku_code=frame["code"],
        sku_extra=extra,
        sku_extra_len=extra_len,
        sku_price_eur=price,
        sku_mass_kg=mass,
        sku_origin=sku_origin,
        sku_charm=charm,
        sku_title=frame["title"],
        buyer_offset=buyer_offset,
        buyer_count=buyer_count,
        ioss_numbers=pl.Series("ioss", numbers, dtype=pl.String),
    )
