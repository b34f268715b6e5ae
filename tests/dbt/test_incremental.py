"""fct_customs_valuation is incremental: a daily build values only the latest interval (and the
warehouse entries still in their sales window), and a full refresh gives the same rows."""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from test_dbt_build import (
    DECLARATION_DEFAULTS,
    DECLARATIONS,
    _standardized,
    _write_partition,
    write_feeds,
)

from customs.settings import Settings, load_settings
from customs.warehouse import (
    DBT_PROJECT_DIR,
    BuildResult,
    build_marts,
    dbt_command,
    dbt_environment,
)

# The public-domain HS 2022 list beside the project (never copied into it).
HS_NOMENCLATURE = Path(__file__).resolve().parents[3] / "shared/reference/harmonized-system.csv"
DAY1, DAY2, DAY3 = date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)


def _declarations(settings: Settings, day: date, rows: list[dict]) -> None:
    frame = _standardized("declarations", rows, DECLARATION_DEFAULTS, day)
    _write_partition(frame, settings.standardized_dir / "declarations", day)


def _dbt_test_without_the_daily_vars(
    settings: Settings, test_name: str
) -> subprocess.CompletedProcess:
    """``dbt test --select test_name`` as a full refresh runs it: on every row."""
    return subprocess.run(
        [
            *dbt_command(),
            "test",
            "--select",
            test_name,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        cwd=DBT_PROJECT_DIR,
        env=dbt_environment(settings),
        capture_output=True,
        text=True,
        check=False,
    )


def _fct(settings: Settings) -> pl.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(
            "select * exclude (declared_at) from marts.fct_customs_valuation "
            "order by declaration_id, item_no"
        ).pl()


BUILDS: dict[date, BuildResult] = {}
"""The fixture's daily builds, by the day they loaded."""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = load_settings({"CUSTOMS_HOME": str(tmp_path_factory.mktemp("incremental"))})
    write_feeds(settings, DAY1)
    BUILDS[DAY1] = build_marts(settings)
    # Day 2 re-delivers D2 item 1 with another value; day 3 brings a new declaration.
    redelivered = DECLARATIONS[2] | {"declared_value": "21.00"}
    _declarations(settings, DAY2, [redelivered])
    BUILDS[DAY2] = build_marts(settings)
    new = DECLARATIONS[5] | {"declaration_id": "D5", "parcel_id": None, "hs_code": "777777"}
    _declarations(settings, DAY3, [new])
    BUILDS[DAY3] = build_marts(settings)
    return settings


def test_incremental_runs_equal_a_full_refresh(home: Settings) -> None:
    incremental = _fct(home)
    assert incremental.height == len(DECLARATIONS) + 1
    d2 = incremental.filter((pl.col("declaration_id") == "D2") & (pl.col("item_no") == 1))
    assert d2["declared_value"].to_list() == [Decimal("21.0000")]
    assert d2["data_interval"].to_list() == [DAY2]

    build_marts(home, full_refresh=True)
    assert _fct(home).equals(incremental)


def test_a_daily_build_leaves_earlier_intervals_alone(home: Settings) -> None:
    """A marker written into a day-1 row survives the next incremental build (the row was not
    recomputed) and disappears on a full refresh."""
    with duckdb.connect(str(home.warehouse_path)) as con:
        con.execute(
            "update marts.fct_customs_valuation set description = 'marker' "
            "where declaration_id in ('D4', 'D5')"
        )
    build_marts(home)
    rows = _fct(home).filter(pl.col("declaration_id").is_in(["D4", "D5"]))
    by_id = dict(zip(rows["declaration_id"], rows["description"], strict=True))
    assert by_id["D4"] == "marker"  # day 1: untouched
    assert by_id["D5"] == "goods"  # day 3, the latest interval: valued again

    build_marts(home, full_refresh=True)
    rows = _fct(home).filter(pl.col("declaration_id") == "D4")
    assert rows["description"].to_list() == ["goods"]


def _nomenclature_file(home: Settings, tmp_path: Path) -> tuple[Path, int]:
    """The shared HS 2022 list when it is beside the checkout, else a small file in its format
    listing the fixtures' real subheadings (so the mechanism is tested either way)."""
    if HS_NOMENCLATURE.exists():
        return HS_NOMENCLATURE, 5000
    known = sorted(set(_fct(home)["hs6"].to_list()) - {"777777"})
    path = tmp_path / "harmonized-system.csv"
    rows = [f"XI,{code},subheading {code},{code[:4]},6" for code in known]
    path.write_text("section,hscode,description,parent,level\n" + "\n".join(rows) + "\n")
    return path, len(known) - 1


def test_hs_nomenclature_from_a_file(home: Settings, tmp_path: Path) -> None:
    """Without a nomenclature nothing is checked; with the file, D5's made-up subheading 777777
    (chapter 77 is reserved) is reported by the warn-level test, and only it."""
    nomenclature, more_than = _nomenclature_file(home, tmp_path)
    assert not [w for w in build_marts(home).warnings if "nomenclature" in w]
    result = build_marts(home, dbt_vars={"hs_nomenclature_path": str(nomenclature)})
    (warning,) = [w for w in result.warnings if "nomenclature" in w]
    assert "assert_declared_hs6_in_nomenclature" in warning and "Got 1 result" in warning
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        count, codes = con.execute(
            "select count(*), count(distinct hs6) from staging.stg_reference__hs_subheadings"
        ).fetchone()
    assert count == codes > more_than


def test_a_daily_build_tests_the_rows_it_rebuilt_and_a_whole_run_tests_all(
    home: Settings,
) -> None:
    """The data tests of a daily build check the rows it recomputed (macros/
    rebuilt_rows_tests.sql): a broken day-1 row, which the build does not recompute, passes
    its tests; the same tests without the daily vars (as a full refresh runs them) fail on it."""
    test_name = "fct_customs_valuation_customs_value_adds_up"
    with duckdb.connect(str(home.warehouse_path)) as con:
        con.execute(
            "update marts.fct_customs_valuation set customs_value = customs_value + 1 "
            "where declaration_id = 'D4'"
        )
    try:
        assert build_marts(home).failures == []  # day 3 rebuilt and tested; D4 (day 1) not
        (d4,) = _fct(home).filter(pl.col("declaration_id") == "D4").to_dicts()
        assert d4["customs_value"] != (
            d4["intrinsic_value_jc"] + d4["transport_addition_jc"] + d4["insurance_addition_jc"]
        )  # still broken: not recomputed
        (compiled,) = home.dbt_target_dir.glob(f"compiled/**/{test_name}.sql")
        sql = compiled.read_text()
        assert f"data_interval >= cast('{DAY3.isoformat()}' as date)" in sql  # the rebuilt day

        whole = _dbt_test_without_the_daily_vars(home, test_name)
        assert whole.returncode == 1, whole.stdout[-2000:]
        assert "Got 1 result" in whole.stdout
    finally:
        build_marts(home, full_refresh=True)  # recomputes D4


def test_a_daily_build_warns_of_the_keys_delivered_again_on_its_days(home: Settings) -> None:
    """The staging key tests of a daily build read every delivery of the keys delivered on the
    rebuilt days (where: rebuilt_deliveries): day 2's build warns that D2 item 1 came again;
    day 3's, which delivered D5 only, does not repeat it; the whole view (a run without the
    daily vars) still holds the two deliveries."""
    test_name = (
        "unique_combination_of_columns_stg_customs_feeds__declarations_declaration_id__item_no"
    )

    def warned(day: date) -> list[str]:
        return [w for w in BUILDS[day].warnings if test_name in w]

    assert warned(DAY1) == []
    (day_2,) = warned(DAY2)
    assert "Got 1 result" in day_2
    assert warned(DAY3) == []

    whole = _dbt_test_without_the_daily_vars(home, test_name)
    assert whole.returncode == 0, whole.stdout[-2000:]  # a warning, not an error
    assert "Got 1 result, configured to warn" in whole.stdout
