"""Command line of the optimiser: ``python -m optimiser bundle|award INSTANCE.json``.

Exit codes: 0 for every solved status (``infeasible`` included, reported in the JSON),
2 for a bad instance or bad arguments.
"""

from __future__ import annotations

import sys

from optimiser.award.cli import main as award_main
from optimiser.bundling.cli import main as bundle_main


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the sub-command's own entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in {"bundle", "award"}:
        print("usage: python -m optimiser {bundle,award} INSTANCE.json [options]", file=sys.stderr)
        return 2
    command, rest = args[0], args[1:]
    if command == "bundle":
        return bundle_main(rest)
    return award_main(rest)


if __name__ == "__main__":
    sys.exit(main())
