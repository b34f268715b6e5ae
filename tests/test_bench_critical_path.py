"""The critical path of a dbt build, read from run_results.json and the manifest's parents."""

from __future__ import annotations

from bench.critical_path import critical_path
from bench.report import path_growth


def _result(node: str, start: float, end: float) -> dict:
    def at(seconds: float) -> str:
        return f"2026-11-29T10:00:{seconds:06.3f}Z"

    return {
        "unique_id": node,
        "timing": [
            {"name": "compile", "started_at": at(start), "completed_at": at(start + 0.01)},
            {"name": "execute", "started_at": at(start + 0.01), "completed_at": at(end)},
        ],
    }


# a -> b -> d and a -> c -> d; the test on c passes after b ends, so d waits for it
RUN = {
    "results": [
        _result("model.p.a", 0.0, 1.0),
        _result("test.p.not_null_a", 1.0, 1.2),
        _result("model.p.b", 1.2, 2.0),
        _result("model.p.c", 1.2, 3.0),
        _result("test.p.unique_c", 3.0, 3.5),
        _result("model.p.d", 3.5, 4.5),
        _result("model.p.off_path", 1.2, 1.4),
        {"unique_id": "model.p.skipped", "timing": []},
    ]
}
PARENTS = {
    "model.p.a": [],
    "test.p.not_null_a": ["model.p.a"],
    "model.p.b": ["model.p.a"],
    "model.p.c": ["model.p.a"],
    "test.p.unique_c": ["model.p.c"],
    "model.p.d": ["model.p.b", "model.p.c"],
    "model.p.off_path": ["model.p.a"],
    "model.p.skipped": ["model.p.a"],
}


def test_the_path_follows_the_node_each_waited_for_tests_included() -> None:
    path = critical_path(RUN, PARENTS)
    assert [node for node, _, _ in path] == [
        "model.p.a",
        "test.p.not_null_a",
        "model.p.c",
        "test.p.unique_c",
        "model.p.d",
    ]
    _, start, seconds = path[2]
    assert abs(start - 1.2) < 1e-6 and abs(seconds - 1.8) < 1e-6


def test_a_test_waits_for_its_model_not_for_the_other_tests_on_it() -> None:
    run = {
        "results": [
            _result("model.p.a", 0.0, 1.0),
            _result("test.p.first_on_a", 1.0, 1.5),
            _result("test.p.second_on_a", 1.5, 2.0),  # after the first: one thread free
        ]
    }
    parents = {"test.p.first_on_a": ["model.p.a"], "test.p.second_on_a": ["model.p.a"]}
    assert [node for node, _, _ in critical_path(run, parents)] == [
        "model.p.a",
        "test.p.second_on_a",
    ]


def test_no_node_ran_no_path() -> None:
    assert critical_path({"results": [{"unique_id": "model.p.a", "timing": []}]}, {}) == []


def test_the_report_names_the_longest_models_on_day_30s_path() -> None:
    def run(path: list) -> list[dict]:
        return [{"stage": "dbt_build", "wall_s": 1.0, "info": {"critical_path": path}}]

    day_1 = [["model.p.a", 0.0, 0.5], ["test.p.t", 0.5, 0.1], ["model.p.d", 0.6, 0.4]]
    day_30 = [["model.p.a", 0.0, 2.5], ["model.p.c", 2.5, 1.0], ["model.p.d", 3.5, 0.5]]
    (line,) = path_growth([run(day_1)], [run(day_30)], 30)
    assert "day 1 2 models (0.9 s) and 1 data tests (0.1 s)" in line
    assert "the last ending 1.0 s after" in line
    assert "day 30 3 models (4.0 s) and 0 data tests (0.0 s)" in line
    assert "a 2.5 (0.5), c 1.0 (-), d 0.5 (0.4)." in line
