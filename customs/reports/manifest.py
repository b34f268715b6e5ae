"""manifest.json: every file of a package with its SHA-256, chained month to month.

Each month's manifest holds the SHA-256 of the previous month's manifest of the same
jurisdiction (the latest earlier month that has a package), so altering any file, or any earlier
manifest, breaks a hash that ``verify`` recomputes. Rebuilding a month (a rerun or a backfill)
re-links the later months' manifests so the chain stays whole; a regulator who kept the hash of
a manifest received earlier still sees that it changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = "customs-report-manifest/1"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def months(jurisdiction_dir: Path) -> list[str]:
    """The months that have a package folder, in order."""
    if not jurisdiction_dir.is_dir():
        return []
    return sorted(p.name for p in jurisdiction_dir.iterdir() if p.is_dir() and _MONTH.match(p.name))


def package_files(package: Path) -> list[Path]:
    return sorted(
        p
        for p in package.rglob("*")
        if p.is_file() and p.relative_to(package).as_posix() != MANIFEST
    )


def _previous(jurisdiction_dir: Path, month: str) -> dict | None:
    earlier = [m for m in months(jurisdiction_dir) if m < month]
    if not earlier:
        return None
    path = jurisdiction_dir / earlier[-1] / MANIFEST
    return {
        "month": earlier[-1],
        "path": f"../{earlier[-1]}/{MANIFEST}",
        "sha256": sha256(path) if path.exists() else None,
    }


def _write(path: Path, document: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(path)


def write(
    package: Path,
    jurisdiction: str,
    month: str,
    run_id: str,
    created_at: str,
    target_month_dir: Path,
) -> dict:
    """Write ``package/manifest.json`` for a package that will live at ``target_month_dir``.

    The package may be built in a temporary folder (``package``) and moved into place afterwards;
    the previous-month link is taken from the target's jurisdiction folder.
    """
    document = {
        "format": FORMAT,
        "jurisdiction": jurisdiction,
        "month": month,
        "run_id": run_id,
        "created_at": created_at,
        "previous_manifest": _previous(target_month_dir.parent, month),
        "files": [
            {
                "path": path.relative_to(package).as_posix(),
                "sha256": sha256(path),
                "bytes": path.stat().st_size,
                "run_id": run_id,
            }
            for path in package_files(package)
        ],
    }
    _write(package / MANIFEST, document)
    return document


def relink_after(jurisdiction_dir: Path, month: str) -> list[str]:
    """Point each later month's manifest at its (new) predecessor; returns the months rewritten."""
    rewritten = []
    for later in [m for m in months(jurisdiction_dir) if m > month]:
        path = jurisdiction_dir / later / MANIFEST
        if not path.exists():
            continue
        document = json.loads(path.read_text())
        link = _previous(jurisdiction_dir, later)
        if document.get("previous_manifest") != link:
            document["previous_manifest"] = link
            _write(path, document)
            rewritten.append(later)
    return rewritten


def verify_jurisdiction(jurisdiction_dir: Path) -> tuple[int, list[str]]:
    """(packages checked, problems): each problem names the jurisdiction, month and file."""
    problems: list[str] = []
    jurisdiction = jurisdiction_dir.name
    found = months(jurisdiction_dir)
    for index, month in enumerate(found):
        package = jurisdiction_dir / month
        where = f"{jurisdiction} {month}"
        path = package / MANIFEST
        if not path.exists():
            problems.append(f"{where}: {MANIFEST} is missing")
            continue
        try:
            document = json.loads(path.read_text())
            listed = {entry["path"]: entry["sha256"] for entry in document["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{where}: {MANIFEST} is not a valid manifest ({exc})")
            continue
        if (document.get("jurisdiction"), document.get("month")) != (jurisdiction, month):
            problems.append(f"{where}: {MANIFEST} describes another package")
        for name, expected in listed.items():
            file = package / name
            if not file.is_file():
                problems.append(f"{where}: {name} is missing")
            elif sha256(file) != expected:
                problems.append(f"{where}: {name} was altered (SHA-256 differs from the manifest)")
        for file in package_files(package):
            name = file.relative_to(package).as_posix()
            if name not in listed:
                problems.append(f"{where}: {name} is not in the manifest (added afterwards)")
        link = document.get("previous_manifest")
        if index == 0:
            if link is not None:
                problems.append(
                    f"{where}: the chain points to {link.get('month')}, whose package is missing"
                )
            continue
        before = found[index - 1]
        before_manifest = jurisdiction_dir / before / MANIFEST
        if not link or link.get("month") != before:
            problems.append(
                f"{where}: the chain does not point to the previous package ({before}); "
                f"it points to {link and link.get('month')}"
            )
        elif not before_manifest.exists() or sha256(before_manifest) != link.get("sha256"):
            problems.append(
                f"{where}: the previous manifest {jurisdiction} {before}/{MANIFEST} was altered "
                "(its SHA-256 differs from the one chained in this month's manifest)"
            )
    return len(found), problems


def verify(reports_dir: Path, jurisdiction: str | None = None) -> tuple[int, list[str]]:
    """Check every package (or one jurisdiction's): file hashes and the month-to-month chain."""
    if jurisdiction:
        folders = [reports_dir / jurisdiction]
    else:
        folders = (
            sorted(p for p in reports_dir.iterdir() if p.is_dir()) if reports_dir.is_dir() else []
        )
    checked, problems = 0, []
    for folder in folders:
        count, found = verify_jurisdiction(folder)
        checked += count
        problems += found
    return checked, problems
