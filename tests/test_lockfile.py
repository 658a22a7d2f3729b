"""The lock files pin every dependency without naming where it is downloaded from.

requirements.lock: every requirement carries sha256 hashes (pip installs it with --require-hashes).
package-lock.json: npm keeps integrity hashes but no "resolved" download URLs (see .npmrc).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements.lock", ROOT / "package-lock.json"]
URL = re.compile(r"(https?|file)://", re.IGNORECASE)


def _logical_lines(text: str) -> list[str]:
    """Requirement lines with backslash continuations joined; comments and blank lines dropped."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


@pytest.mark.parametrize("path", LOCKS, ids=lambda p: p.name)
def test_lock_has_no_urls(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert not URL.search(line), f"{path.name}:{number}: {line.strip()}"


def test_every_requirement_is_hashed() -> None:
    requirements = _logical_lines((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert requirements, "requirements.lock has no requirements"
    for requirement in requirements:
        if requirement.startswith("-"):  # options such as --index-url are not requirements
            continue
        assert "--hash=sha256:" in requirement, f"unhashed requirement: {requirement.split()[0]}"


def test_package_lock_pins_frontend_libraries() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    packages = lock["packages"]
    htmx = packages["node_modules/htmx.org"]["version"]
    leaflet = packages["node_modules/leaflet"]["version"]
    assert htmx.startswith("2."), htmx
    assert leaflet.startswith("1.9."), leaflet
    for name, entry in packages.items():
        if not name:
            continue
        assert "resolved" not in entry, name
        assert str(entry.get("integrity", "")).startswith("sha512-"), name
