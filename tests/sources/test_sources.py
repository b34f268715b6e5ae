"""Sources: HTTP order API (against a real server on 127.0.0.1), fsspec object stores, config.

The HTTP server serves recorded pages and fails on purpose (429, 500, timeouts); every loop in
the client is bounded (attempts, max_pages), so a broken client fails the test, not hangs it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import fsspec
import polars as pl
import pytest

from customs.settings import Settings
from customs.sources import pull_interval
from customs.sources.config import SourceConfig, SourceConfigError, parse_sources
from customs.sources.http_api import CursorState, PullError, pull_http, state_path
from customs.sources.object_store import pull_fsspec
from customs.sources.sample_server import SampleApi
from transforms.standardize import standardize_interval

DAY = date(2026, 9, 1)
TOKEN = "s3cret"


def _order(n: int) -> dict:
    return {
        "order_id": f"DM-{n}",
        "marketplace": "dragonmart",
        "created_at": "2026-09-01T18:30:05+08:00",
        "seller": {"id": "S-1", "country": "CN"},
        "buyer": {"id": f"B-{n}", "country": "DE"},
        "lines": [
            {
                "line_id": "1",
                "sku": "SKU-1",
                "title": "Silk blouse",
                "hs_code": "6206.10",
                "origin_country": "CN",
                "quantity": 1,
                "price": {"amount": "12.50", "currency": "USD"},
                "parcel": {"id": f"LP{n}", "ship_from": "CN"},
            }
        ],
    }


def record_pages(root: Path, pages: int = 3, per_page: int = 2) -> None:
    folder = root / "orders" / DAY.isoformat()
    folder.mkdir(parents=True)
    for p in range(1, pages + 1):
        doc = {
            "orders": [_order((p - 1) * per_page + i) for i in range(per_page)],
            "next_cursor": f"p{p + 1}" if p < pages else None,
        }
        (folder / f"page-{p:05d}.json").write_text(json.dumps(doc))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        source_dir=tmp_path / "inbox",
        pseudonym_key=b"k",
        pseudonym_key_is_default=False,
        secrets={"CUSTOMS_SECRET_DM": TOKEN},
    )


def http_source(url: str, **options) -> SourceConfig:
    base = {
        "url": f"{url}/orders",
        "format": "orderapi.json",
        "params": {"date": "{day}"},
        "pagination": {"style": "cursor", "param": "cursor", "field": "next_cursor"},
        "auth": {"token_env": "CUSTOMS_SECRET_DM"},
        "retries": {"attempts": 5, "initial_wait": 0.01, "max_wait": 0.05},
        "timeout": 0.5,
        "max_pages": 20,
    }
    return SourceConfig(name="dm-api", type="http", feed="orders", options=base | options)


def _manifest(settings: Settings) -> pl.DataFrame:
    return pl.read_parquet(settings.manifest_dir / "orders" / f"date={DAY}" / "*.parquet")


def test_http_pull_survives_429_500_and_timeouts_and_lands_every_page(settings, tmp_path):
    record_pages(tmp_path / "api")
    faults = ["429", "500", "timeout", "ok", "ok"]
    with SampleApi(tmp_path / "api", token=TOKEN, faults=faults, slow=1.0) as api:
        landed = pull_http(settings, http_source(api.url), "orders", DAY)
    assert [f.source_file for f in landed] == [
        f"dm-api:orders/{DAY}/page-0000{i}.orderapi.json" for i in (1, 2, 3)
    ]
    assert len(api.requests) > 3  # the faults were really served and retried
    manifest = _manifest(settings).sort("source_file")
    assert manifest["source"].unique().to_list() == ["dm-api"]
    # the bytes landed are the bytes served
    for row, page in zip(manifest.iter_rows(named=True), (1, 2, 3), strict=True):
        served = (tmp_path / "api" / "orders" / str(DAY) / f"page-0000{page}.json").read_bytes()
        landed_file = settings.landing_dir / "orders" / str(DAY) / f"{row['sha256']}.orderapi.json"
        assert landed_file.read_bytes() == served
    summary = standardize_interval(settings, "orders", DAY)
    assert (summary.files, summary.rows_standardized, summary.rows_rejected) == (3, 6, 0)
    assert CursorState.load(state_path(settings, "dm-api", "orders", DAY)).complete


def test_http_pull_resumes_from_the_last_cursor(settings, tmp_path):
    record_pages(tmp_path / "api", pages=4)
    state_file = state_path(settings, "dm-api", "orders", DAY)
    # A real outage instead: always 503 → PullError, cursor stays where it was.
    with SampleApi(tmp_path / "api", token=TOKEN, faults=["ok", "ok"] + ["503"] * 10) as api:
        src = http_source(api.url)
        with pytest.raises(PullError, match="resumes from page 3"):
            pull_http(settings, src, "orders", DAY)
    state = CursorState.load(state_file)
    assert (state.cursor, state.pages, state.complete) == ("p3", 2, False)
    with SampleApi(tmp_path / "api", token=TOKEN) as api:
        landed = pull_http(settings, http_source(api.url), "orders", DAY)
        assert [r.split("cursor=")[1] for r in api.requests] == ["p3", "p4"]  # resumed
    assert len(landed) == 2
    assert _manifest(settings).height == 4
    with SampleApi(tmp_path / "api", token=TOKEN) as api:  # complete: not requested again
        assert pull_http(settings, http_source(api.url), "orders", DAY) == []
        assert api.requests == []


def test_http_wrong_token_fails_at_once(settings, tmp_path):
    record_pages(tmp_path / "api", pages=1)
    with SampleApi(tmp_path / "api", token="other") as api:
        with pytest.raises(PullError, match="401"):
            pull_http(settings, http_source(api.url), "orders", DAY)
        assert len(api.requests) == 1  # a 4xx is not retried


def test_http_page_pagination_stops_on_an_empty_page(settings, tmp_path):
    record_pages(tmp_path / "api", pages=2)
    with SampleApi(tmp_path / "api", token=TOKEN) as api:
        src = http_source(api.url, pagination={"style": "page", "param": "page"})
        landed = pull_http(settings, src, "orders", DAY)
        assert [r.rsplit("page=", 1)[1] for r in api.requests] == ["1", "2", "3"]
    assert len(landed) == 2  # the empty page 3 ends the pull and is not landed


def _write(fs, path: str, data: bytes) -> None:
    with fs.open(path, "wb") as handle:
        handle.write(data)


CSV = (
    b"marketplace,order_id,line_id,ordered_at,seller_id,seller_country,buyer_id,buyer_country,"
    b"ship_from_country,parcel_id,sku,title,origin_country,quantity,unit_price,currency\n"
    b"m,O1,1,2026-09-01T10:00:00Z,S1,CN,B1,DE,CN,P1,SKU,Tee,CN,1,5.00,EUR\n"
)


def test_memory_filesystem_source_lands_by_hash_and_follows_the_listing(settings):
    fs = fsspec.filesystem("memory")
    _write(fs, f"/bucket/exports/orders_x/{DAY}/a.csv", CSV)
    _write(fs, f"/bucket/exports/orders_x/{DAY}/b.csv", CSV)  # the same bytes again
    _write(fs, f"/bucket/exports/orders_x/{DAY}/notes.txt", b"skip me")
    src = SourceConfig(
        "bucket", "fsspec", "orders", {"url": "memory://bucket/exports", "feed_dir": "orders_x"}
    )
    landed = pull_fsspec(settings, src, "orders", DAY)
    assert [(f.source_file, f.is_duplicate) for f in landed] == [
        (f"bucket:orders_x/{DAY}/a.csv", False),
        (f"bucket:orders_x/{DAY}/b.csv", True),
    ]
    summary = standardize_interval(settings, "orders", DAY)
    assert (summary.files, summary.rows_standardized) == (1, 1)
    fs.rm(f"/bucket/exports/orders_x/{DAY}/b.csv")
    assert len(pull_fsspec(settings, src, "orders", DAY)) == 1
    assert _manifest(settings).height == 1


def test_file_url_source_and_folder_source_side_by_side(settings, tmp_path):
    remote = tmp_path / "remote"
    (remote / "orders" / str(DAY)).mkdir(parents=True)
    (remote / "orders" / str(DAY) / "r.csv").write_bytes(CSV.replace(b"O1", b"O2"))
    inbox = settings.source_dir / "orders" / str(DAY)
    inbox.mkdir(parents=True)
    (inbox / "orders.csv").write_bytes(CSV)
    sources_file = tmp_path / "sources.yml"
    sources_file.write_text(
        "orders:\n  - {name: folder, type: folder}\n"
        f"  - {{name: remote, type: fsspec, url: 'file://{remote}'}}\n"
    )
    settings = Settings(**{**settings.__dict__, "sources_file": sources_file})
    result = pull_interval(settings, "orders", DAY, settings.source_dir)
    assert result.errors == [] and result.by_source == {"folder": 1, "remote": 1}
    # landing the folder again leaves the other source's rows alone
    pull_interval(settings, "orders", DAY, settings.source_dir)
    assert sorted(_manifest(settings)["source"].to_list()) == ["folder", "remote"]
    summary = standardize_interval(settings, "orders", DAY)
    assert summary.rows_standardized == 2


def test_config_is_validated_with_clear_messages():
    feeds = ("orders", "declarations")
    parsed = parse_sources(
        {"orders": [{"type": "http", "name": "a", "url": "x", "format": "f"}]}, feeds
    )
    assert [s.name for s in parsed["orders"]] == ["a"]
    assert [s.type for s in parsed["declarations"]] == ["folder"]  # default
    bad = [
        ({"nope": [{}]}, "unknown feed"),
        ({"orders": [{"type": "ftp"}]}, "type 'ftp'"),
        ({"orders": [{"type": "http", "name": "a"}]}, "'url' is required"),
        ({"orders": [{"type": "folder"}, {"type": "folder"}]}, "duplicate source name"),
    ]
    for document, message in bad:
        with pytest.raises(SourceConfigError, match=message):
            parse_sources(document, feeds)


def test_settings_carry_the_sources_file_and_only_customs_secrets(tmp_path):
    from customs.settings import load_settings

    env = {
        "CUSTOMS_HOME": str(tmp_path),
        "CUSTOMS_SOURCES": str(tmp_path / "sources.yml"),
        "CUSTOMS_SECRET_DM": "tok-zz9",
        "AWS_SECRET_ACCESS_KEY": "not ours",
    }
    settings = load_settings(env)
    assert settings.sources_file == tmp_path / "sources.yml"
    assert dict(settings.secrets) == {"CUSTOMS_SECRET_DM": "tok-zz9"}
    assert "tok-zz9" not in repr(settings)
    assert settings.airflow_env(tmp_path)["CUSTOMS_SOURCES"] == str(tmp_path / "sources.yml")
    assert load_settings({"CUSTOMS_HOME": str(tmp_path)}).sources_file is None
