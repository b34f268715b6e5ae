"""Identifiers: unique, stable, and free of any pattern that tells one kind of row from another.

Every event identifier (order, parcel, declaration, lot, receipt, dispatch) is built from
``(kind, day, position in that day)`` and passed through a keyed bijection on 14 decimal digits
(a small Feistel network). So two runs over different days never collide, the same day generated
twice gets the same numbers, and the numbers carry no visible order: an anomalous declaration's
id is drawn from the same space, in the same way, as an honest one's.

IOSS numbers follow the format ``IM`` + 3-digit member state of identification + 6-digit serial
+ 1 check digit, which is what ``stdnum.eu.oss`` validates (format and member-state code).
The official check-digit algorithm is in a specification that is not public (``stdnum`` says as
much and does not check it); this generator computes the last digit with ISO 7064 MOD 11-10 over
the nine preceding digits. That is a convention of this sample, not something to validate.
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum

import numpy as np
import polars as pl

EPOCH_ORDINAL = date(2000, 1, 1).toordinal()
_HALF = 10**7  # the 14-digit space is two halves of 7 digits
_ROUND_KEYS = (  # (xor key, multiplier) per round
    (0x5A3C91, 7_919_317),
    (0x1F2E3D, 9_876_541),
    (0x6B8A07, 3_141_593),
    (0x2C4F6E, 1_618_033),
    (0x7D1B39, 2_718_281),
    (0x0E9C55, 5_772_157),
)


class Kind(IntEnum):
    """Id spaces: a kind's numbers never meet another kind's."""

    ORDER = 11
    WH_ORDER = 12
    PARCEL = 21
    WH_PARCEL = 22
    DECLARATION = 31
    WH_DECLARATION = 32
    LOT = 41
    RECEIPT = 42
    DISPATCH = 43


def event_number(kind: Kind, day_ordinal: np.ndarray | int, position: np.ndarray) -> np.ndarray:
    """A 14-digit number, unique per (kind, day, position < 10**7), scrambled."""
    day = np.asarray(day_ordinal, dtype=np.int64) - EPOCH_ORDINAL
    raw = int(kind) * 10**12 + day * _HALF + np.asarray(position, dtype=np.int64)
    return feistel14(raw)


def feistel14(x: np.ndarray) -> np.ndarray:
    """A bijection of [0, 10**14): six Feistel rounds on two 7-digit halves, with a non-linear
    round function (xor, square, multiply) so that related inputs give unrelated outputs."""
    x = np.asarray(x, dtype=np.int64)
    left, right = x // _HALF, x % _HALF
    for key, mult in _ROUND_KEYS:
        mixed = right ^ key  # < 2**24
        f = (mixed * mixed // 1000 + right * mult) % _HALF
        left, right = right, (left + f) % _HALF
    return left * _HALF + right


def affine(i: np.ndarray, modulus: int, mult: int, add: int) -> np.ndarray:
    """A bijection of [0, modulus) for a modulus that is a power of ten (mult coprime to 10)."""
    return (np.asarray(i, dtype=np.int64) * mult + add) % modulus


def with_prefix(prefix: str | pl.Expr, number: pl.Expr, width: int) -> pl.Expr:
    """``prefix`` followed by ``number`` zero-padded to ``width`` digits."""
    head = pl.lit(prefix) if isinstance(prefix, str) else prefix
    return pl.concat_str([head, number.cast(pl.String).str.zfill(width)])


def mod11_10_check(digits: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-10 check digit of each row of a (n, k) array of decimal digits."""
    product = np.full(digits.shape[0], 10, dtype=np.int64)
    for j in range(digits.shape[1]):
        total = (digits[:, j] + product) % 10
        total[total == 0] = 10
        product = (total * 2) % 11
    return (11 - product) % 10


def ioss_numbers(msi: np.ndarray, serial: np.ndarray) -> list[str]:
    """IOSS numbers from member-state codes ('372', ...) and 6-digit serials."""
    msi = np.asarray(msi).astype(np.int64)
    serial = np.asarray(serial, dtype=np.int64) % 10**6
    body = msi * 10**6 + serial
    digits = (body[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    check = mod11_10_check(digits)
    return [f"IM{b:09d}{c}" for b, c in zip(body.tolist(), check.tolist(), strict=True)]
