"""Bankable bundling benchmark (issue #20): the demo district bundled with and without a bankability floor.

The demo is loaded into a throwaway SQLite file (or the database ``--database-url`` names), and the
bundling instance is built from its register exactly as a run of the application builds it
(``pvhub.bundling.runs.snapshot_register``: approved sites with current estimates, published bundles
left out, each site's value its investing party's NPV at the hurdle rate under its own business model
at the programme's default terms). It is solved three times with the application's default limits:
without ``min_value``, with ``min_value`` = 0 (IRR at least the hurdle rate), and with that floor and
one business model per bundle (``same_group``), as a lot has one model.

For each it prints how many poor surfaces get bundled — curtain walls, walkways and corridors, each
counted when it is worth less than it costs on its own (NPV < 0 under its site's model; a shaded walkway
is one of those), and sites of negative value — and the bundles' IRR of the investing party (min and
median, ``pvhub.economics.service.sites_economics`` over each bundle's sites), with the bundled kWp.

    python benchmarks/bankable.py                    # demo district, 30 s per solve
    python benchmarks/bankable.py --time-limit 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, col, select

from optimiser.bundling import BundlingResult, solve_bundling
from pvhub.accounts.models import User
from pvhub.bundling.runs import BundlingParameters, RegisterSnapshot, snapshot_register
from pvhub.core import migrate
from pvhub.core.db import make_engine, transaction
from pvhub.demo.loader import OFFICE_EMAIL, load_demo
from pvhub.economics.service import sites_economics, surface_economics
from pvhub.estimates.models import Estimate
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Surface

POOR_KINDS = ("curtain_wall", "walkway", "corridor")


def poor_surfaces(session: Session, office: User, site_ids: list[int]) -> dict[int, Counter[str]]:
    """Per site, its approved estimated surfaces of the poor kinds that are worth less than they cost."""
    rows = session.exec(
        select(Surface.id, Surface.site_id, Surface.kind)
        .join(Estimate, col(Estimate.surface_id) == col(Surface.id))
        .where(
            col(Surface.site_id).in_(site_ids),
            Surface.status == SurfaceStatus.approved,
            col(Surface.kind).in_(POOR_KINDS),
            Estimate.stale == False,  # noqa: E712 (SQL)
        )
    ).all()
    poor: dict[int, Counter[str]] = defaultdict(Counter)
    for surface_id, site_id, kind in rows:
        assert surface_id is not None
        if surface_economics(session=session, user=office, surface_id=surface_id).value_cny < 0:
            poor[site_id][str(kind)] += 1
    return poor


def figures(
    session: Session, snap: RegisterSnapshot, result: BundlingResult, poor: dict[int, Counter[str]]
) -> dict[str, Any]:
    """What one solve bundled: poor surfaces and negative sites, and the bundles' investing IRR."""
    bundled = [int(s) for b in result.bundles for s in b.sites]
    kinds: Counter[str] = Counter()
    for site_id in bundled:
        kinds.update(poor.get(site_id, Counter()))
    irrs: list[float] = []
    undefined = 0
    for bundle in result.bundles:
        economics = sites_economics(session=session, site_ids=[int(s) for s in bundle.sites])
        assert economics is not None
        party = economics.parties.get("investor") or economics.parties["owner"]
        if party.irr is None:
            undefined += 1
        else:
            irrs.append(party.irr)
    values = [snap.site_value[s] for s in bundled]
    sums = [sum(snap.site_value[int(s)] for s in b.sites) for b in result.bundles]
    return {
        "status": result.status,
        "bundles": len(result.bundles),
        "bundled_sites": len(bundled),
        "bundled_kwp": round(result.bundled_kw, 1),
        "poor_surfaces_bundled": dict(sorted(kinds.items())),
        "poor_surfaces_bundled_total": sum(kinds.values()),
        "negative_sites_bundled": sum(1 for v in values if v < 0),
        "irr_min": round(min(irrs), 4) if irrs else None,
        "irr_median": round(statistics.median(irrs), 4) if irrs else None,
        "irr_undefined": undefined,
        "bundle_value_min_cny": round(min(sums), 0) if sums else None,
        "wall_s": round(result.wall_s, 1),
    }


#: The solves compared: no floor; a floor of 0 (IRR ≥ hurdle); the floor with one business model per
#: bundle. A site's value is taken under its own model while a bundle's figures are under one model
#: (the lot's), so only the third makes the floor hold for the bundle's own figures.
RUNS: dict[str, dict[str, Any]] = {
    "without_min_value": {},
    "min_value_0": {"min_value_cny": 0.0},
    "min_value_0_one_model": {"min_value_cny": 0.0, "same_group": "business_model"},
}
LIMITS = {"min_capacity_kwp", "max_capacity_kwp", "max_sites", "max_distance_m"}


def run(url: str, time_limit_s: float, seed: int) -> dict[str, Any]:
    engine = make_engine(url)
    with Session(engine) as session:
        office = session.exec(select(User).where(User.email == OFFICE_EMAIL)).one()
        params = BundlingParameters(time_limit_s=time_limit_s, seed=seed)
        plain = snapshot_register(session, params)
        ids = [int(s.id) for s in plain.instance.sites]
        poor = poor_surfaces(session, office, ids)
        report: dict[str, Any] = {
            "sites": len(ids),
            "kwp": round(sum(s.capacity_kw for s in plain.instance.sites), 1),
            "negative_sites": sum(1 for v in plain.site_value.values() if v < 0),
            "poor_surfaces": dict(sorted(sum(poor.values(), Counter()).items())),
            "limits": params.model_dump(include=LIMITS),
            "time_limit_s": time_limit_s,
            "load_1m_before": round(os.getloadavg()[0], 1),
        }
        for name, update in RUNS.items():
            snap = snapshot_register(session, params.model_copy(update=update))
            result = solve_bundling(snap.instance, time_limit_s=time_limit_s, seed=seed)
            report[name] = figures(session, snap, result, poor)
    return report


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f} %"


def _cny(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def print_report(report: dict[str, Any]) -> None:
    print(
        f"demo district: {report['sites']} sites ready to bundle, {report['kwp']:,.0f} kWp; "
        f"{report['negative_sites']} of negative value; poor surfaces {report['poor_surfaces']}"
    )
    runs = [report[name] for name in RUNS]
    print(f"{'':28}" + "".join(f"{name:>24}" for name in RUNS))
    rows: list[tuple[str, Any]] = [
        ("status", lambda r: r["status"]),
        ("bundles", lambda r: r["bundles"]),
        ("bundled sites", lambda r: r["bundled_sites"]),
        ("bundled kWp", lambda r: f"{r['bundled_kwp']:,.0f}"),
        ("poor surfaces bundled", lambda r: r["poor_surfaces_bundled_total"]),
        ("negative sites bundled", lambda r: r["negative_sites_bundled"]),
        ("bundle IRR, min", lambda r: _pct(r["irr_min"])),
        ("bundle IRR, median", lambda r: _pct(r["irr_median"])),
        ("bundles without an IRR", lambda r: r["irr_undefined"]),
        ("lowest Σ site value (CNY)", lambda r: _cny(r["bundle_value_min_cny"])),
        ("solve wall (s)", lambda r: r["wall_s"]),
    ]
    for label, get in rows:
        print(f"{label:28}" + "".join(f"{get(r)!s:>24}" for r in runs))
    for name, r in zip(RUNS, runs, strict=True):
        print(f"poor surfaces bundled by kind, {name}: {r['poor_surfaces_bundled']}")
    print(json.dumps(report, ensure_ascii=False))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds per solve (default 30)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--database-url", help="a database already holding the demo (default: a throwaway SQLite)")
    args = p.parse_args()
    started = time.perf_counter()
    if args.database_url:
        url = args.database_url
        report = run(url, args.time_limit, args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="pvhub-bankable.") as folder:
            url = f"sqlite:///{folder}/pvhub.db"
            migrate.upgrade(url)
            with transaction(make_engine(url)) as session:
                load_demo(session=session)
            print(f"demo loaded in {time.perf_counter() - started:.0f} s")
            report = run(url, args.time_limit, args.seed)
    print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
