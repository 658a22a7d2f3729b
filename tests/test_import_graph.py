"""No module of pvhub, web, gis or optimiser imports inside a function without a comment saying why.

An import inside a function is how a cycle hides from a reader (import-linter sees it, people do
not), so each one left is a decision written down: a heavy library only one command needs, a child
process's entry point. The comment goes on the import's line or the line above; one comment above a
run of adjacent imports covers the run. Linter pragmas (``# noqa``, ``# type: ignore``) are no reason.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pvhub", "web", "gis", "optimiser")
PRAGMA = re.compile(r"#\s*(noqa\b|type:\s*ignore|pragma:)")


def _reasons(source: str) -> dict[int, bool]:
    """Line → whether its comment stands on a line of its own, for every comment that is not a pragma."""
    reasons: dict[int, bool] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and not PRAGMA.match(token.string):
            reasons[token.start[0]] = not token.line[: token.start[1]].strip()
    return reasons


def unexplained_imports(source: str, name: str = "<string>") -> list[str]:
    """``name:line: import`` for each import inside a function without a comment saying why."""
    reasons = _reasons(source)
    found: list[str] = []

    def block(statements: Sequence[ast.stmt], in_function: bool) -> None:
        covered_to = -1  # last line of the previous statement when it was an explained import
        for stmt in statements:
            if in_function and isinstance(stmt, ast.Import | ast.ImportFrom):
                end = stmt.end_lineno or stmt.lineno
                if (
                    any(line in reasons for line in range(stmt.lineno, end + 1))
                    or reasons.get(stmt.lineno - 1, False)
                    or covered_to == stmt.lineno - 1
                ):
                    covered_to = end
                else:
                    found.append(f"{name}:{stmt.lineno}: {ast.unparse(stmt)}")
                    covered_to = -1
                continue
            covered_to = -1
            inner = in_function or isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
            for value in vars(stmt).values():
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.excepthandler | ast.match_case):
                            block(item.body, inner)
                    block([s for s in value if isinstance(s, ast.stmt)], inner)

    block(ast.parse(source).body, False)
    return found


def test_every_import_inside_a_function_says_why() -> None:
    offenders = [
        problem
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for problem in unexplained_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not offenders, "imports inside functions without a comment saying why:\n" + "\n".join(offenders)


def test_the_check_finds_an_unexplained_import_and_accepts_explained_ones() -> None:
    source = """
import json


def bare():
    import csv
    return csv


def above():
    # pandas takes a second to import and only this report needs it
    import pandas
    from pandas import DataFrame
    return pandas, DataFrame


def trailing():
    import shapely  # optional: only the GIS export needs it
    return shapely


def pragma_only():
    if True:
        from os import path  # noqa: F401
    return None


class Holder:
    import math

    def method(self):
        try:
            pass
        except ImportError:
            import decimal
        return decimal
"""
    assert unexplained_imports(source, "m.py") == [
        "m.py:6: import csv",
        "m.py:24: from os import path",
        "m.py:35: import decimal",
    ]
