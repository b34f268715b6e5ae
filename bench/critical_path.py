"""The critical path of a ``dbt build``: the chain of nodes, one waiting for the other, that
ends with the last node to finish.

``dbt build`` starts a node when its parents are done and, for a model, when the data tests of
its parents have passed too. With two threads most of a daily build is such a chain, so a node
that grows on it adds its whole time to the build, while one off it may cost nothing. Read from
dbt's own artefacts: ``run_results.json`` (each node's start and end) and ``manifest.json``
(each node's parents).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _span(result: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """A node's start (its compile step) and end (its execute step), or None if it did not
    run."""
    steps = {step["name"]: step for step in result.get("timing") or []}
    if "compile" not in steps or "execute" not in steps:
        return None
    return (
        datetime.fromisoformat(steps["compile"]["started_at"].replace("Z", "+00:00")),
        datetime.fromisoformat(steps["execute"]["completed_at"].replace("Z", "+00:00")),
    )


def critical_path(
    run_results: dict[str, Any], parent_map: dict[str, list[str]]
) -> list[tuple[str, float, float]]:
    """The nodes of the critical path in the order run: (unique id, start in s from the first
    node's start, seconds). From the node that finished last, each step goes back to the node
    it waited for: of its parents and of the data tests on its parents, the one that finished
    last before it started."""
    spans = {r["unique_id"]: s for r in run_results["results"] if (s := _span(r)) is not None}
    if not spans:
        return []
    tests_on: dict[str, list[str]] = {}
    for node, parents in parent_map.items():
        if node.startswith("test.") and node in spans:
            for parent in parents:
                tests_on.setdefault(parent, []).append(node)
    first = min(start for start, _ in spans.values())
    node: str | None = max(spans, key=lambda n: spans[n][1])
    path, seen = [], set()
    while node is not None and node not in seen:
        seen.add(node)
        start, end = spans[node]
        path.append((node, (start - first).total_seconds(), (end - start).total_seconds()))
        parents = [p for p in parent_map.get(node, []) if p in spans]
        # a model waits for its parents' tests too; a test waits for its parents only, not for
        # the other tests on them
        tests = (
            [] if node.startswith("test.") else [t for p in parents for t in tests_on.get(p, [])]
        )
        done_before = [n for n in parents + tests if spans[n][1] <= start]
        node = max(done_before, key=lambda n: spans[n][1]) if done_before else None
    return path[::-1]
