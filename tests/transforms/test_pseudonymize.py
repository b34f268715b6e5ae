"""Pseudonyms: keyed HMAC-SHA256, stable, one hash per distinct value."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest

from transforms.pseudonymize import Pseudonymizer, pseudonym, pseudonymize_series


def test_matches_the_standard_hmac():
    p = Pseudonymizer(b"secret")
    for value in ["B1", "", "ünïcode", "x" * 200]:
        expected = hmac.new(b"secret", value.encode(), hashlib.sha256).hexdigest()
        assert p(value) == expected == pseudonym(b"secret", value)
    assert p.many(["B1", "B2"]) == [p("B1"), p("B2")]


def test_long_keys_follow_the_hmac_rule():
    key = b"k" * 100  # longer than the SHA-256 block: hashed first, as RFC 2104 says
    assert Pseudonymizer(key)("v") == hmac.new(key, b"v", hashlib.sha256).hexdigest()


def test_stable_and_keyed():
    a, b = Pseudonymizer(b"key-a"), Pseudonymizer(b"key-b")
    assert a("BUYER-1") == a("BUYER-1")
    assert a("BUYER-1") != b("BUYER-1")
    assert a("BUYER-1") != a("BUYER-2")
    assert len(a("BUYER-1")) == 64 and int(a("BUYER-1"), 16) >= 0


def test_empty_key_is_refused():
    with pytest.raises(ValueError):
        Pseudonymizer(b"")


def test_table_has_one_row_per_distinct_value():
    table = Pseudonymizer(b"k").table(["B2", "B1", None, "B2"])
    assert table.columns == ["value", "pseudonym"]
    assert sorted(table["value"]) == ["B1", "B2"]
    assert dict(table.iter_rows()) == {"B1": pseudonym(b"k", "B1"), "B2": pseudonym(b"k", "B2")}


def test_series_keeps_rows_and_nulls():
    s = pl.Series("buyer_id", ["B1", None, "B2", "B1"])
    out = pseudonymize_series(s, b"k")
    assert out.name == "buyer_id"
    assert out.to_list() == [
        pseudonym(b"k", "B1"),
        None,
        pseudonym(b"k", "B2"),
        pseudonym(b"k", "B1"),
    ]


@pytest.mark.parametrize(
    "key",
    [b"secret", "clé-ключ".encode(), b"k" * 64, b"k" * 65, b"k" * 200, b"\xff\xfe not utf-8"],
)
def test_vectorised_pseudonyms_match_the_standard_hmac(key: bytes):
    """hex_series (the polars-hash plugin, or the loop for a key that is not UTF-8) = hmac.new."""
    values = ["B1", "", "ünïcode ✓", "x" * 300, "  padded  ", "0"]
    out = Pseudonymizer(key).hex_series(pl.Series("buyer_id", values))
    assert out.name == "buyer_id" and out.dtype == pl.String()
    assert out.to_list() == [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
    assert out.to_list() == Pseudonymizer(key).many(values)


def test_vectorised_pseudonyms_of_an_empty_series():
    out = Pseudonymizer(b"k").hex_series(pl.Series("importer_id", [], dtype=pl.String()))
    assert out.name == "importer_id" and out.len() == 0 and out.dtype == pl.String()
