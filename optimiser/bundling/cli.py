"""``python -m optimiser bundle INSTANCE.json [--time-limit S] [--workers N] [--seed K]``: result as JSON.

Exit 0 for every solved status (``infeasible`` included), 2 for a bad instance or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from optimiser.bundling.instance import InstanceError, load_instance
from optimiser.bundling.solve import solve_bundling


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m optimiser bundle", description="Bundle sites into tender packages.")
    p.add_argument("instance", help="instance JSON file (see optimiser/README.md)")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument("--workers", type=int, default=None, help="CP-SAT workers (default: all cores)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--candidates",
        type=int,
        default=None,
        help="nearest anchors kept per site (default: all up to 400 sites, else 25)",
    )
    return p


def _clean(value: Any) -> Any:
    """Replace non-finite floats, which JSON cannot hold, by null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def main(argv: list[str]) -> int:
    """Run the command; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        if args.time_limit <= 0 or (args.workers is not None and args.workers < 1):
            raise _ArgumentError("--time-limit must be > 0 and --workers >= 1")
        instance = load_instance(args.instance)
    except _ArgumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(_parser().format_usage(), file=sys.stderr, end="")
        return 2
    except InstanceError as exc:
        print(f"error: bad instance: {exc}", file=sys.stderr)
        return 2
    result = solve_bundling(
        instance,
        time_limit_s=args.time_limit,
        seed=args.seed,
        num_workers=args.workers,
        candidate_anchors=args.candidates,
    )
    json.dump(_clean(result.to_dict()), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")
    return 0
