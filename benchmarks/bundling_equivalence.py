"""Same bundles before and after a change to the bundling solver: a snapshot to compare across commits.

Why it exists: a restructuring of ``optimiser/bundling`` (issue #16) must not change what the solver
answers. With one worker and a fixed seed, a run that finishes its search before the time limit (proven
optimal) is deterministic up to the order of equally good solutions, so its bundles must be the same
before and after; a time-limited run stops wherever the clock says, so only its quality is compared,
against the spread over a few seeds.

The script solves

* ``finished``: the CPMP instances the tests prove optimal (``../shared/data/cpmp``, as
  ``tests/optimiser/test_bundling_cpmp.py`` loads them; missing files are listed and passed over), the
  small instances of ``tests/optimiser/test_bundling.py`` and a few small districts
  (``tests/optimiser/districts.py``);
* ``time_limited``: districts of 300 and 1,000 sites at 10 s and 20 s, solver seeds 0, 1 and 2;

each with ``num_workers=1``, and writes the status, cost (m), bound, gap and the bundles, each as its
anchor and sorted site ids, sorted (bundle numbering does not matter) to a JSON file::

    python benchmarks/bundling_equivalence.py /tmp/bundling_before.json          # on the old commit
    python benchmarks/bundling_equivalence.py /tmp/bundling_after.json           # on the new one
    python benchmarks/bundling_equivalence.py --compare /tmp/bundling_before.json /tmp/bundling_after.json

``--compare`` prints, per finished run, whether the bundles are identical, and per time-limited instance
the cost and gap over the seeds; it exits 1 when a run that finished in both snapshots has another status,
cost or grouping of the sites (other anchors at the same cost are shown, not counted: see ``compare``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimiser.bundling import BundlingInstance, BundlingResult, Site, solve_bundling  # noqa: E402
from tests.optimiser.districts import district  # noqa: E402

CPMP = ROOT.parent / "shared" / "data" / "cpmp"
CPMP_PROVEN = ("pmedcap1-11", "pmedcap1-13")  # proven optimal by the tests with one worker
TIME_LIMITED = ((300, 1, 10.0), (1000, 0, 20.0))  # (sites, instance seed, time limit in s)
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Case:
    """One run: a name, the instance, its time limit (s) and the solver's seed."""

    name: str
    inst: BundlingInstance
    time_limit_s: float
    seed: int = 0


def random_sites(n: int, seed: int, *, spread: float = 1000.0) -> tuple[Site, ...]:
    """The generator of tests/optimiser/test_bundling.py (uniform sites, 20-400 kWp)."""
    rng = random.Random(seed)
    return tuple(
        Site(f"s{i}", rng.uniform(0, spread), rng.uniform(0, spread), float(rng.randint(20, 400)))
        for i in range(n)
    )


def cpmp_cases(folder: Path, names: tuple[str, ...]) -> tuple[list[Case], list[str]]:
    """The CPMP instances present in ``folder`` (as the CPMP tests load them), and the names missing."""
    cases: list[Case] = []
    missing: list[str] = []
    for name in names:
        path = folder / f"{name}.json"
        if not path.exists():
            missing.append(name)
            continue
        raw = json.loads(path.read_text())
        sites = tuple(Site(str(p["id"]), p["x"], p["y"], p["demand"]) for p in raw["points"])
        inst = BundlingInstance(
            sites, max_capacity_kw=raw["capacity"], bundle_count=raw["p"], require_all=True
        )
        cases.append(Case(name, inst, 60.0))
    return cases, missing


def small_cases() -> Iterator[Case]:
    """The tests' small instances (each proven optimal within seconds) and small districts."""
    tiny = [
        {"min_capacity_kw": 300, "max_capacity_kw": 700},
        {"min_capacity_kw": 0, "max_capacity_kw": 900, "bundle_cost_m": 400.0},
        {"min_capacity_kw": 200, "max_capacity_kw": 1000, "max_sites": 3, "max_distance_m": 600.0},
        {"min_capacity_kw": 100, "max_capacity_kw": 2000, "bundle_count": 2},
        {"min_capacity_kw": 500, "max_capacity_kw": 600, "max_distance_m": 500.0},
    ]
    for k, params in enumerate(tiny):
        for seed in (1, 2):
            yield Case(f"tiny-{k}-{seed}", BundlingInstance(random_sites(7, seed), **params), 10.0)  # type: ignore[arg-type]
    campus = tuple(
        Site(s.id, s.x, s.y, s.capacity_kw, keep_with="campus" if i in (0, 3, 5) else None)
        for i, s in enumerate(random_sites(7, 5))
    )
    yield Case("keep-with", BundlingInstance(campus, min_capacity_kw=300, max_capacity_kw=900), 10.0)
    huge = (*random_sites(8, 6), Site("huge", 10, 10, 5000))
    yield Case("too-big", BundlingInstance(huge, min_capacity_kw=300, max_capacity_kw=1000), 10.0)
    far = (*random_sites(8, 7), Site("g1", 0, 0, 100, keep_with="g"), Site("g2", 5000, 0, 100, keep_with="g"))
    yield Case("out-of-reach", BundlingInstance(far, max_capacity_kw=2000, max_distance_m=1500), 10.0)
    locked = (
        *random_sites(20, 4),
        Site("L1", 100, 100, 200, locked_bundle="draft-7"),
        Site("L2", 900, 900, 100, locked_bundle="draft-7"),
        Site("M1", 500, 500, 100, locked_bundle="draft-8"),
    )
    yield Case("locked", BundlingInstance(locked, min_capacity_kw=800, max_capacity_kw=1500), 20.0)
    empty = (*random_sites(6, 15), Site("empty", 900, 900, 0.0))
    yield Case("zero-kwp", BundlingInstance(empty, max_capacity_kw=800, bundle_cost_m=100), 10.0)
    yield Case(
        "require-all-40",
        BundlingInstance(random_sites(40, 10), min_capacity_kw=400, max_capacity_kw=1500, require_all=True),
        30.0,
    )
    for n, seed in ((30, 0), (40, 1), (60, 2), (80, 3)):
        yield Case(f"district-{n}-{seed}", district(n, seed), 30.0)
        yield Case(f"district-{n}-{seed}-all", district(n, seed, require_all=True, min_capacity_kw=0), 30.0)


def time_limited_cases() -> Iterator[Case]:
    """Districts that use their whole time limit, each with the solver seeds ``SEEDS``."""
    for n, inst_seed, limit in TIME_LIMITED:
        inst = district(n, inst_seed)
        for seed in SEEDS:
            yield Case(f"district-{n}-{inst_seed}@{limit:g}s", inst, limit, seed)


def record(case: Case, res: BundlingResult, kind: str) -> dict[str, Any]:
    """A run's figures and its bundles in canonical form (anchor and sorted sites, bundles sorted)."""
    bundles = sorted([b.anchor, sorted(b.sites)] for b in res.bundles)
    return {
        "name": case.name,
        "kind": kind,
        "seed": case.seed,
        "time_limit_s": case.time_limit_s,
        "status": str(res.status),
        "finished": res.status in ("optimal", "infeasible") and res.wall_s < case.time_limit_s,
        "cost_m": res.cost_m,
        "bundled_kw": res.bundled_kw,
        "bound_m": res.bound_m,
        "gap": res.gap,
        "wall_s": round(res.wall_s, 2),
        "bundles": bundles,
        "unbundled": sorted(u.id for u in res.unbundled),
    }


def snapshot(out: Path, cpmp: Path, names: tuple[str, ...], quick: bool) -> None:
    """Solve every case and write the snapshot (see the module docstring)."""
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    cases, missing = cpmp_cases(cpmp, names)
    runs: list[dict[str, Any]] = []
    plan = [(c, "finished") for c in [*cases, *small_cases()]]
    if not quick:
        plan += [(c, "time_limited") for c in time_limited_cases()]
    for case, kind in plan:
        res = solve_bundling(case.inst, time_limit_s=case.time_limit_s, seed=case.seed, num_workers=1)
        runs.append(record(case, res, kind))
        row = runs[-1]
        print(
            f"{case.name:32} seed {case.seed} {row['status']:10} {row['cost_m']:14.3f} {row['wall_s']:6.2f}s"
        )
    data = {"commit": commit, "cpmp_missing": missing, "runs": runs}
    out.write_text(json.dumps(data, indent=1) + "\n")


def compare(before_path: Path, after_path: Path) -> int:
    """Print the comparison; 1 when a run that finished in both snapshots has other bundles.

    "Other bundles" means another status, cost or grouping of the sites. The same groups on other anchors
    at the same cost are reported but allowed: two one-worker runs of the same code already differ there
    when the cost phase's CP-SAT runs between fixings end on the clock (pmedcap1-11 did).
    """
    before = {(r["name"], r["seed"]): r for r in json.loads(before_path.read_text())["runs"]}
    after = {(r["name"], r["seed"]): r for r in json.loads(after_path.read_text())["runs"]}
    differ = 0
    print("finished runs (one worker, fixed seed): bundles identical?")
    for key, a in before.items():
        b = after.get(key)
        if a["kind"] != "finished" or b is None:
            continue
        both = a["finished"] and b["finished"]
        same_cost = a["status"] == b["status"] and math.isclose(a["cost_m"], b["cost_m"], rel_tol=1e-9)
        groups = sorted(s for _, s in a["bundles"]) == sorted(s for _, s in b["bundles"])
        identical = same_cost and a["bundles"] == b["bundles"]
        differ += both and not (same_cost and groups)
        verdict = (
            "identical" if identical else "same sites, other anchors" if same_cost and groups else "DIFFERENT"
        )
        print(
            f"  {key[0]:32} {a['status']:>10} {a['cost_m']:14.3f} -> {b['status']:>10} {b['cost_m']:14.3f}  "
            f"{verdict}{'' if both else '  (not finished in both: not compared)'}"
        )
    print("time-limited runs: cost m (gap) per seed, mean")
    names = sorted({k[0] for k, r in before.items() if r["kind"] == "time_limited"})
    for name in names:
        for label, runs in (("before", before), ("after", after)):
            rows = [r for (n, _), r in sorted(runs.items()) if n == name]
            if not rows:
                continue
            figures = ", ".join(f"{r['cost_m']:,.0f} ({(r['gap'] or 0) * 100:.2f} %)" for r in rows)
            print(f"  {name:26} {label:6} {figures}; mean {mean(r['cost_m'] for r in rows):,.0f}")
    return 1 if differ else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", nargs="?", type=Path, help="JSON file to write the snapshot to")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    p.add_argument("--cpmp", type=Path, default=CPMP, help=f"folder of the CPMP JSON files (default {CPMP})")
    p.add_argument("--names", nargs="*", default=list(CPMP_PROVEN), help="CPMP instances to solve")
    p.add_argument("--quick", action="store_true", help="finished runs only")
    args = p.parse_args()
    if args.compare:
        return compare(*args.compare)
    if args.out is None:
        p.error("give the output file or --compare BEFORE AFTER")
    snapshot(args.out, args.cpmp, tuple(args.names), args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
