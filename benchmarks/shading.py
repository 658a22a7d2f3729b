"""Benchmark: building shade in the survey (issue #19) — the demo district, a generated city, the engine.

Run: ``python benchmarks/shading.py [--buildings 20000] [--surfaces 100000] [--demo-buildings 3000]
[--sample 300] [--write]``.
Prints the figures and, with ``--write``, records them in the "## Building shade" section of
benchmarks/README.md.

Each part runs in a child process of its own, so its peak memory (``ru_maxrss``) is its work alone, and
is timed wall clock, stage by stage (the survey's progress calls and the shade's own timings):

(a) **The demo district** (:func:`pvhub.demo.stock.demo_stock_document`: the generated city of
    ``--demo-buildings`` plus the 300 sites' buildings, as ``pvhub demo`` imports it), read and surveyed
    with :func:`pvhub.survey.screen.survey` without shading and with it, same process; the baseline is
    the unshaded survey.
(b) **A generated city** (:func:`pvhub.demo.city.generate_city`, seed 0, ``--buildings``) surveyed with
    shading, its candidates limited to the ``--surfaces`` nearest the city's centre (a disc taken as the
    survey's boundary: the buildings outside it stay in the scene as neighbours that shade, as a district's
    do; 0 surveys them all): where the time goes (derive, unshaded estimate, scene, sampling, rays, sky
    view, engine, screen) and the peak memory. Target (issue #19): 100,000 surfaces among 20,000
    buildings on 2 cores under 5 minutes and 4 GB. Baselines, same run: the unshaded survey, and the same
    rays cast one point at a time (one :func:`gis.shading.horizons` call per point, one thread) on
    ``--sample`` random points, per-point time × the points.
(c) **The engine**: the 2° table engine over the city's shaded candidates, once without shade and once
    with their sample points' horizons (:func:`pvhub.yieldengine.estimate` with ``shade=``), same process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

README = Path(__file__).with_name("README.md")


def _marks() -> tuple[list[tuple[float, str]], Any]:
    """A progress function that records (time, English text) and the list it fills."""
    marks: list[tuple[float, str]] = []
    return marks, lambda _share, text: marks.append((time.perf_counter(), str(text)))


def _since(marks: list[tuple[float, str]], first: str, then: str) -> float:
    """Seconds from the first mark starting with ``first`` to the next one starting with ``then``."""
    start = next(i for i, (_, text) in enumerate(marks) if text.startswith(first))
    end = next(i for i in range(start + 1, len(marks)) if marks[i][1].startswith(then))
    return marks[end][0] - marks[start][0]


def _cpu_s() -> float:
    """CPU seconds of this process so far, user and system (both Embree threads count)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _energy(result: Any) -> tuple[float, float]:
    """(shaded, unshaded) kWh a year of the kept candidates."""
    shaded = sum(s.annual_kwh for s in result.candidates)
    unshaded = sum(s.kwp * s.kwh_per_kwp_unshaded for s in result.candidates)
    return shaded, unshaded


def child_demo(path: Path) -> dict[str, Any]:
    """(a): the demo district's stock surveyed without and with shading."""
    # loaded in the child only: the parent's modules do not count in its memory
    from gis.stock_files import read_stock_file
    from pvhub.survey.screen import survey
    from pvhub.yieldengine import default_weather, estimate

    weather = default_weather()
    estimate(["roof"], [0.0], [180.0], [1.0], weather=weather)  # the sky and tables, as a server has them
    stock = read_stock_file(path, name=path.name)
    start = time.perf_counter()
    plain = survey(stock, weather=weather, shading=False)
    plain_s = time.perf_counter() - start
    _, progress = _marks()
    start = time.perf_counter()
    shaded = survey(stock, weather=weather, progress=progress)
    shaded_s = time.perf_counter() - start
    kwh, kwh_unshaded = _energy(shaded)
    shading = shaded.provenance["shading"]
    assert shaded.shade is not None and shaded.shade.shading_loss is not None
    # the loss of every candidate whose rays were cast, before the minimum yield screens the shaded out
    cast = list(zip(shaded.shade.candidates, shaded.shade.shading_loss.tolist(), strict=True))
    walls = [loss for c, loss in cast if c.kind == "curtain_wall"]
    roofs = [loss for c, loss in cast if c.kind == "roof"]
    return {
        "buildings": shaded.buildings,
        "plain_s": plain_s,
        "plain_kept": len(plain.candidates),
        "plain_mwh": sum(s.annual_kwh for s in plain.candidates) / 1000.0,
        "shaded_s": shaded_s,
        "kept": len(shaded.candidates),
        "shaded_candidates": len(shaded.shade.candidates) if shaded.shade else 0,
        "points": shading["points"],
        "timings": shading["timings_s"],
        "mwh": kwh / 1000.0,
        "loss": 1.0 - kwh / kwh_unshaded if kwh_unshaded else 0.0,
        "wall_loss_mean": sum(walls) / max(len(walls), 1),
        "wall_unshaded_max": max(
            (s.kwh_per_kwp_unshaded for s in plain.candidates if s.candidate.kind == "curtain_wall"),
            default=0.0,
        ),
        "roof_loss_mean": sum(roofs) / max(len(roofs), 1),
        "peak_mb": _peak_mb(),
    }


def _disc(result: Any, surfaces: int) -> Any:
    """A lon/lat disc around the median of the kept candidates that holds about ``surfaces`` of them
    (whole buildings: their centroids decide), or None for all."""
    import numpy as np
    import shapely
    from shapely import affinity

    cands = [s.candidate for s in result.candidates]
    if not surfaces or surfaces >= len(cands):
        return None
    lon = np.array([c.lon for c in cands])
    lat = np.array([c.lat for c in cands])
    lon0, lat0 = float(np.median(lon)), float(np.median(lat))
    squeeze = np.cos(np.radians(lat0))
    dist = np.hypot((lon - lon0) * squeeze, lat - lat0)
    radius = float(np.sort(dist)[surfaces - 1])
    return affinity.scale(shapely.Point(lon0, lat0).buffer(radius, quad_segs=64), xfact=1.0 / squeeze)


def _disc_text(b: dict[str, Any]) -> str:
    """What the README says of (b)'s boundary, when there was one."""
    if not b.get("surfaces"):
        return ""
    return (
        f"The survey's boundary is a disc around the city's centre holding {b['shaded_candidates']:,} of "
        f"its surfaces to shade (asked: {b['surfaces']:,}); the buildings outside it stay in the scene "
        "as neighbours that shade.\n\n"
    )


def child_city(path: Path, sample: int, surfaces: int = 0) -> dict[str, Any]:
    """(b) and (c): the city surveyed without and with shading, the per-point baseline, the engine."""
    # loaded in the child only: the parent's city and modules do not count in its memory
    import numpy as np
    import pvlib

    from gis.shading import SamplePoints, Scene, horizons
    from gis.stock_files import read_stock_file
    from pvhub.survey.candidate_shading import candidate_points
    from pvhub.survey.screen import survey
    from pvhub.yieldengine import default_weather, estimate

    weather = default_weather()
    estimate(["roof"], [0.0], [180.0], [1.0], weather=weather)  # the sky and tables, as a server has them
    start = time.perf_counter()
    stock = read_stock_file(path, name=path.name)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    plain = survey(stock, weather=weather, shading=False)
    boundary = _disc(plain, surfaces)
    if boundary is not None:  # the baseline over the same candidates
        start = time.perf_counter()
        plain = survey(stock, weather=weather, shading=False, boundary=boundary)
    plain_s = time.perf_counter() - start
    plain_peak = _peak_mb()
    marks, progress = _marks()
    start, cpu = time.perf_counter(), _cpu_s()
    result = survey(stock, weather=weather, progress=progress, boundary=boundary)
    shaded_s = time.perf_counter() - start
    shaded_cpu_s = _cpu_s() - cpu
    peak = _peak_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    shade = result.shade
    assert shade is not None
    timings = dict(result.provenance["shading"]["timings_s"])
    kwh, kwh_unshaded = _energy(result)
    figures: dict[str, Any] = {
        "buildings": result.buildings,
        "read_s": read_s,
        "plain_s": plain_s,
        "plain_peak_mb": plain_peak,
        "plain_kept": len(plain.candidates),
        "derive_s": _since(marks, "deriving", "estimating"),
        "unshaded_s": _since(marks, "estimating", "building shade: sampling"),
        "screen_s": marks[-1][0] - next(t for t, text in marks if text == "screening"),
        "shaded_s": shaded_s,
        "shaded_cpu_s": shaded_cpu_s,
        "timings": timings,
        "peak_mb": peak,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "derived": len(result.candidates) + sum(1 for s in result.skipped if "kWh/kWp" in s.reason),
        "shaded_candidates": len(shade.candidates),
        "kept": len(result.candidates),
        "points": shade.points,
        "triangles": shade.triangles,
        "surfaces": surfaces if boundary is not None else 0,
        "loss": 1.0 - kwh / kwh_unshaded if kwh_unshaded else 0.0,
        "pvlib": pvlib.__version__,
    }
    # (c) the engine over the shaded candidates, 2° table, without and with their horizons
    cands = shade.candidates
    kinds = np.array([c.kind for c in cands], dtype=object)
    tilt = np.array([c.tilt for c in cands])
    azimuth = np.array([c.azimuth for c in cands])
    ones = np.ones(len(cands))
    start = time.perf_counter()
    estimate(kinds, tilt, azimuth, ones, weather=weather, method="table")
    figures["engine_off_s"] = time.perf_counter() - start
    start = time.perf_counter()
    estimate(kinds, tilt, azimuth, ones, weather=weather, method="table", shade=shade.profile)
    figures["engine_on_s"] = time.perf_counter() - start
    del result, plain
    # baseline of (b): the same rays, one point at a time, on a random sample of the points
    scene = Scene.from_stock(stock)
    points = candidate_points(stock, list(cands))
    conv = np.asarray(stock.frame.convergence_deg(points.xyz[:, 0], points.xyz[:, 1]), dtype=float)
    rng = np.random.default_rng(0)
    chosen = rng.choice(points.count, size=min(sample, points.count), replace=False)
    start = time.perf_counter()
    for i in chosen.tolist():
        one = SamplePoints(points.xyz[i : i + 1], points.normal[i : i + 1], points.surface[i : i + 1])
        horizons(scene, one, convergence_deg=conv[i : i + 1], workers=1)
    per_point = (time.perf_counter() - start) / max(len(chosen), 1)
    figures.update(sample=len(chosen), per_point_s=per_point, looped_rays_s=per_point * points.count)
    return figures


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--buildings", type=int, default=20_000, help="buildings of the generated city (b, c)")
    p.add_argument("--demo-buildings", type=int, default=3_000, help="city buildings of the demo stock (a)")
    p.add_argument("--sample", type=int, default=300, help="points cast one at a time (baseline of b)")
    p.add_argument("--surfaces", type=int, default=100_000, help="city candidates surveyed (b); 0: all")
    p.add_argument("--write", action="store_true", help="record the figures in benchmarks/README.md")
    p.add_argument("--child-demo", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--child-city", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child_demo:
        print(json.dumps(child_demo(args.child_demo)))
        return
    if args.child_city:
        print(json.dumps(child_city(args.child_city, args.sample, args.surfaces)))
        return
    # the parent only: not counted in the children's memory
    from pvhub.demo.city import generate_city
    from pvhub.demo.district import build_demo_district
    from pvhub.demo.stock import demo_stock_document

    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo.geojson"
        doc = demo_stock_document(build_demo_district(), n_buildings=args.demo_buildings)
        demo.write_text(json.dumps(doc), encoding="utf-8")
        a = _run("--child-demo", demo)
        city = Path(folder) / "city.geojson"
        t0 = time.perf_counter()
        city.write_text(json.dumps(generate_city(args.buildings, seed=0)), encoding="utf-8")
        generate_s = time.perf_counter() - t0
        b = _run("--child-city", city, "--sample", str(args.sample), "--surfaces", str(args.surfaces))
    b.update(generate_s=generate_s, load=os.getloadavg()[0])
    report(a, b)
    if args.write:
        write_readme(a, b)


def _run(*args: Any) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *(str(x) for x in args)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the child {args[0]} failed (exit {done.returncode})")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def report(a: dict[str, Any], b: dict[str, Any]) -> None:
    t, at = b["timings"], a["timings"]
    lines = [
        f"demo: {a['buildings']:,} buildings; unshaded survey {a['plain_s']:.1f} s "
        f"({a['plain_kept']:,} kept), shaded {a['shaded_s']:.1f} s ({a['shaded_candidates']:,} candidates "
        f"shaded, {a['points']:,} points, rays {at['rays_s']:.1f} s, engine {at['engine_s']:.1f} s; "
        f"{a['kept']:,} kept): "
        f"{a['shaded_s'] / a['plain_s']:,.1f}× the unshaded survey; peak {a['peak_mb']:,.0f} MB",
        f"demo shade: {a['loss']:.1%} of the kept candidates' energy; mean loss of the shaded wall bands "
        f"{a['wall_loss_mean']:.1%}, roofs {a['roof_loss_mean']:.1%}; kept {a['mwh'] / 1000:,.1f} GWh/yr "
        f"shaded vs {a['plain_mwh'] / 1000:,.1f} unshaded",
        f"city: {b['buildings']:,} buildings, generated in {b['generate_s']:.1f} s; "
        f"{b['shaded_candidates']:,} candidates shaded, {b['points']:,} points, {b['triangles']:,} triangles"
        + (f" (a disc of {b['surfaces']:,} surfaces asked)" if b.get("surfaces") else ""),
        f"read_stock_file  {b['read_s']:7.1f} s",
        f"derive           {b['derive_s']:7.1f} s  ({b['derived']:,} candidates above the area minimum)",
        f"estimate         {b['unshaded_s']:7.1f} s  (unshaded, distinct orientations)",
        f"scene            {t['scene_s']:7.1f} s",
        f"sampling         {t['sampling_s']:7.1f} s",
        f"rays             {t['rays_s']:7.1f} s",
        f"sky view         {t['sky_view_s']:7.1f} s",
        f"engine           {t['engine_s']:7.1f} s  (shaded, hour by hour)",
        f"screen           {b['screen_s']:7.1f} s  ({b['kept']:,} kept)",
        f"total            {b['shaded_s']:7.1f} s wall, {b['shaded_cpu_s']:.1f} s CPU (the shaded survey), "
        f"peak {b['peak_mb']:,.0f} MB; "
        f"per 100,000 surfaces {b['shaded_s'] * 1e5 / max(b['shaded_candidates'], 1):,.0f} s",
        f"baseline: unshaded survey {b['plain_s']:.1f} s, peak {b['plain_peak_mb']:,.0f} MB: shaded "
        f"{b['shaded_s'] / b['plain_s']:,.1f}×; rays one point at a time, {b['sample']} points at "
        f"{b['per_point_s'] * 1000:.1f} ms, extrapolated {b['looped_rays_s']:,.0f} s: "
        f"{b['looped_rays_s'] / t['rays_s']:,.1f}× the batched rays",
        f"engine: 2° table over {b['shaded_candidates']:,} candidates, shade off {b['engine_off_s']:.2f} s, "
        f"on {b['engine_on_s']:.2f} s ({b['engine_on_s'] / b['engine_off_s']:,.1f}×); load {b['load']:.1f}",
    ]
    print("\n".join(lines))


def write_readme(a: dict[str, Any], b: dict[str, Any]) -> None:
    t, at = b["timings"], a["timings"]
    section = (
        "## Building shade\n\n"
        f"`python benchmarks/shading.py --write` — {time.strftime('%Y-%m-%d')}, pvlib {b['pvlib']}, "
        f"CPython {platform.python_version()}, {os.cpu_count()} CPUs shared with other jobs "
        f"(load average {b['load']:.1f} after the run). Embedded Shanghai year, default rules and "
        "assumptions, rays to 1,500 m, 2° azimuth bins, 0.5° elevation resolution, plain irradiance loss "
        "(no mismatch model). Each part in a child process of its own.\n\n"
        f"**(a) The demo district** ({a['buildings']:,} buildings, as `pvhub demo` imports them): the "
        f"unshaded survey took {a['plain_s']:.1f} s ({a['plain_kept']:,} candidates kept), the shaded one "
        f"{a['shaded_s']:.1f} s (**{a['shaded_s'] / a['plain_s']:,.1f}×**): {a['shaded_candidates']:,} "
        f"candidates above the minimum yield unshaded were shaded at {a['points']:,} sample points (scene "
        f"{at['scene_s']:.1f} s, sampling {at['sampling_s']:.1f} s, rays {at['rays_s']:.1f} s, engine "
        f"{at['engine_s']:.1f} s), {a['kept']:,} stayed above 600 kWh/kWp; peak {a['peak_mb']:,.0f} MB. "
        f"The mean shading loss of the shaded candidates is {a['wall_loss_mean']:.1%} for wall bands and "
        f"{a['roof_loss_mean']:.1%} for roofs; no wall band yields more than "
        f"{a['wall_unshaded_max']:.0f} kWh/kWp unshaded, just above the 600 kWh/kWp minimum, so most "
        "shaded bands fall under it, and the potential kept drops from "
        f"{a['plain_mwh'] / 1000:,.1f} to {a['mwh'] / 1000:,.1f} GWh a year (shade takes {a['loss']:.1%} "
        "of what is kept).\n\n"
        f"**(b) A generated city** (`generate_city`, seed 0) of {b['buildings']:,} buildings: "
        f"{b['derived']:,} candidates above the area minimum, of which {b['shaded_candidates']:,} reach "
        f"600 kWh/kWp unshaded and are shaded ({b['points']:,} sample points among {b['triangles']:,} "
        f"triangles), {b['kept']:,} kept shaded; the shade takes {b['loss']:.1%} of their energy.\n\n"
        "| stage | wall time |\n|---|---:|\n"
        f"| `read_stock_file` | {b['read_s']:.1f} s |\n"
        f"| derive candidates | {b['derive_s']:.1f} s |\n"
        f"| unshaded estimate (distinct orientations) | {b['unshaded_s']:.1f} s |\n"
        f"| scene (Embree, every face) | {t['scene_s']:.1f} s |\n"
        f"| sample points | {t['sampling_s']:.1f} s |\n"
        f"| rays (horizons, 2 threads) | {t['rays_s']:.1f} s |\n"
        f"| sky-view factors | {t['sky_view_s']:.1f} s |\n"
        f"| engine, hour by hour with the horizons | {t['engine_s']:.1f} s |\n"
        f"| screen | {b['screen_s']:.1f} s |\n"
        f"| **survey with shade** (bar: 5 min) | **{b['shaded_s']:.1f} s** "
        f"({b['shaded_cpu_s']:.1f} s CPU) |\n"
        f"| **peak memory** (bar: 4 GB) | **{b['peak_mb'] / 1024:.2f} GB** |\n\n"
        + _disc_text(b)
        + f"Baselines, same run: the unshaded survey of the same city took {b['plain_s']:.1f} s (peak "
        f"{b['plain_peak_mb'] / 1024:.2f} GB), so shade costs **{b['shaded_s'] / b['plain_s']:,.1f}×**; the "
        f"same rays cast one point at a time (one `horizons` call per point, one thread) on {b['sample']} "
        f"random points took {b['per_point_s'] * 1000:.1f} ms a point, {b['looped_rays_s']:,.0f} s "
        f"extrapolated to the points, **{b['looped_rays_s'] / t['rays_s']:,.1f}×** the batched rays.\n\n"
        f"**(c) The engine**: the 2° table engine over the city's {b['shaded_candidates']:,} shaded "
        f"candidates took {b['engine_off_s']:.2f} s without shade and {b['engine_on_s']:.2f} s with their "
        f"horizons (**{b['engine_on_s'] / b['engine_off_s']:,.1f}×**). Wall time above CPU time is time "
        "waited for a core: the machine is shared, so wall times vary by tens of per cent.\n\n"
    )
    text = README.read_text() if README.exists() else "# Benchmarks\n\n"
    pattern = re.compile(r"^## Building shade\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    )
    README.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
