"""The domains meet only through what each offers the others (issue #16).

import-linter (``pyproject.toml``) keeps the domains layered; two rules it cannot say are checked
here on the source: a module never imports another module's private name (``from x import _y``), so
what one module leans on of another is something that module offers; and a domain's REST routes
(``pvhub.<domain>.api``) are imported only by the composition (``pvhub.api``), by the client of the
whole API (``pvhub.client``, which speaks in the routes' own models) and by the same domain's own
modules and pages, so no domain depends on another's HTTP surface.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pvhub", "web", "gis", "optimiser")
DOMAINS = {
    path.name
    for path in (ROOT / "pvhub").iterdir()
    if path.is_dir() and ((path / "api.py").exists() or (path / "api").is_dir())
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] in ("pvhub", "web") and parts[1] in DOMAINS else None


def _imports(source: str) -> list[tuple[str, list[str], int]]:
    """``(module, names, line)`` for each absolute ``from … import …`` of a file."""
    return [
        (node.module, [alias.name for alias in node.names], node.lineno)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    ]


def boundary_problems(module: str, source: str) -> list[str]:
    """What ``module`` (its dotted name, its source) imports across a boundary it should not."""
    problems: list[str] = []
    for target, names, line in _imports(source):
        private = [name for name in names if name.startswith("_") and not name.startswith("__")]
        if private and target.split(".")[0] in PACKAGES:
            problems.append(f"{module}:{line}: private {', '.join(private)} of {target}")
        routes = {f"{target}.{name}" for name in names} | {target}
        composition = module.split(".")[:2] in (["pvhub", "api"], ["pvhub", "client"])
        if not composition and any(_is_other_domains_api(module, r) for r in routes):
            problems.append(f"{module}:{line}: the routes of another domain ({target})")
    return problems


def _is_other_domains_api(module: str, target: str) -> bool:
    parts = target.split(".")
    return len(parts) > 2 and parts[0] == "pvhub" and parts[2] == "api" and _domain(target) != _domain(module)


def test_no_module_reaches_into_another_modules_privates_or_another_domains_routes() -> None:
    problems = [
        problem
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for problem in boundary_problems(_module(path), path.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_private_import_and_another_domains_routes() -> None:
    assert {"accounts", "register", "estimates", "bundling", "tendering", "construction"} <= DOMAINS
    source = "from pvhub.tendering.documents import _checked_type\nfrom pvhub.register.api import exports\n"
    assert boundary_problems("pvhub.construction.documents", source) == [
        "pvhub.construction.documents:1: private _checked_type of pvhub.tendering.documents",
        "pvhub.construction.documents:2: the routes of another domain (pvhub.register.api)",
    ]
    # the same domain's pages may call its routes; the composition includes them all
    assert boundary_problems("web.register.pages", "from pvhub.register.api import exports\n") == []
    assert boundary_problems("pvhub.api", "from pvhub.tendering.api import awards\n") == []
    assert boundary_problems("web.shell", "from json import _default_decoder\n") == []
