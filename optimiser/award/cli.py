"""``python -m optimiser award INSTANCE.json [--time-limit S] [--workers N] [--seed K]``: result as JSON.

Exit 0 for every solved status (``infeasible`` included), 2 for a bad instance or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys

from optimiser.award.instance import InstanceError, load_instance
from optimiser.award.solve import solve_award


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m optimiser award", description="Propose the winning bid per lot of a tender.")
    p.add_argument("instance", help="instance JSON file (see optimiser/README.md, Award)")
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds for the whole run (default 10)")
    p.add_argument("--workers", type=int, default=None, help="CP-SAT workers (default: all cores)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return p


def main(argv: list[str]) -> int:
    """Run the command; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        if not args.time_limit > 0 or (args.workers is not None and args.workers < 1):
            raise _ArgumentError("--time-limit must be > 0 and --workers >= 1")
        instance = load_instance(args.instance)
    except _ArgumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(_parser().format_usage(), file=sys.stderr, end="")
        return 2
    except InstanceError as exc:
        print(f"error: bad instance: {exc}", file=sys.stderr)
        return 2
    result = solve_award(instance, time_limit_s=args.time_limit, seed=args.seed, num_workers=args.workers)
    json.dump(result.to_dict(), sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")
    return 0
