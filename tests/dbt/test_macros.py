"""Project macros rendered on their own (Jinja only) and run in DuckDB against the expression
they replace."""

from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import pytest

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros"


def _macro(file: str, name: str):
    module = jinja2.Environment().from_string((MACROS / file).read_text()).module
    return getattr(module, name)


@pytest.mark.parametrize("session_zone", ["UTC", "Pacific/Kiritimati", "America/Los_Angeles"])
def test_duckdb_utc_date_is_the_utc_calendar_date_in_any_session_zone(session_zone):
    utc_date = str(_macro("utc_date.sql", "duckdb__utc_date")("ts")).strip()
    assert "timezone" not in utc_date  # the cheap form, not the zone lookup it replaces
    con = duckdb.connect()
    con.execute(f"set TimeZone = '{session_zone}'")
    rows = con.execute(
        f"""
        select ts, {utc_date} as got, cast(timezone('UTC', ts) as date) as expected
        from (
            values
                (timestamptz '2026-09-30 23:59:59.999999+00'),
                (timestamptz '2026-10-01 00:00:00+00'),
                (timestamptz '2026-09-30 23:30:00-05'),
                (timestamptz '2026-10-01 00:30:00+14'),
                (timestamptz '1969-12-31 23:59:59.999999+00'),
                (timestamptz '1970-01-01 00:00:00+00'),
                (timestamptz '1900-02-28 12:00:00+00'),
                (timestamptz '0001-01-01 00:00:00+00'),
                (timestamptz '9999-12-31 23:59:59+00'),
                (null)
        ) as t (ts)
        union all
        -- every hour of two years around a leap day, in the session's zone too
        select ts, {utc_date}, cast(timezone('UTC', ts) as date)
        from range(timestamptz '2027-12-31 00:00:00+00', timestamptz '2029-01-02 00:00:00+00',
            interval 37 minute) as t (ts)
        """
    ).fetchall()
    assert len(rows) > 10_000
    wrong = [row for row in rows if row[1] != row[2]]
    assert wrong == []
    assert rows[0][1].isoformat() == "2026-09-30"
    assert rows[2][1].isoformat() == "2026-10-01"  # 23:30 at UTC-5 is the next day in UTC
