"""``generate(..., source_formats=True)``: the same rows, re-expressed in source formats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from customs.generator import generate
from transforms.readers import read_file
from transforms.readers.order_api import read_order_api

START = date(2026, 9, 1)


def _rows(root: Path, feed: str) -> pl.DataFrame:
    frames = []
    for path in sorted((root / "landing" / feed).rglob("*")):
        if path.is_file():
            frames.append(read_file(path).collect().drop("source_row"))
    for path in sorted((root / "api" / feed).rglob("*.json")):
        frames.append(read_order_api(path).collect().drop("source_row"))
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def test_formats_keep_every_row_and_are_deterministic(tmp_path: Path) -> None:
    plain = generate(tmp_path / "plain", START, 6, seed=5, scale=0.1)
    mixed = generate(tmp_path / "mixed", START, 6, seed=5, scale=0.1, source_formats=True)
    generate(tmp_path / "again", START, 6, seed=5, scale=0.1, source_formats=True)
    assert mixed.rows == plain.rows
    names = {p.name for p in (tmp_path / "mixed").rglob("*") if p.is_file()}
    assert "eurocart.eurocart.csv.gz" in names and "page-00001.json" in names
    assert any(n.endswith(".wms.xml") for n in names)
    files = sorted(p for p in (tmp_path / "mixed").rglob("*") if p.is_file())
    for path in files:
        twin = tmp_path / "again" / path.relative_to(tmp_path / "mixed")
        assert twin.read_bytes() == path.read_bytes(), path

    for feed in ("orders", "warehouse_receipts", "warehouse_dispatches"):
        a = _rows(tmp_path / "plain", feed)
        b = _rows(tmp_path / "mixed", feed)
        assert a.height == b.height == plain.rows[feed], feed
    # EuroCart prices went to gross cents and back: within half a cent of the net price
    key = ["marketplace", "order_id", "line_id"]
    a = _rows(tmp_path / "plain", "orders").filter(pl.col("marketplace") == "eurocart")
    b = _rows(tmp_path / "mixed", "orders").filter(pl.col("marketplace") == "eurocart")
    joined = a.join(b, on=key, suffix="_fmt")
    assert joined.height == a.height > 0
    for x, y in zip(joined["unit_price"], joined["unit_price_fmt"], strict=True):
        assert abs(Decimal(x) - Decimal(y)) <= Decimal("0.01")
