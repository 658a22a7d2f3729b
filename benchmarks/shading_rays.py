"""Benchmark: the ray-casting hot loop of building shade (gis.shading.horizons) on a generated city.

Run: ``python benchmarks/shading_rays.py [--buildings 20000] [--points 40000] [--radius 1500]
[--baseline 200]``. Prints rays/s and points/s, one thread and two, and the same rays cast one point at
a time (the baseline), then extrapolates to the issue's target (400,000 points, walls 90 azimuths in
front, roofs 180, under 3 minutes on 2 cores).

The city: ``--buildings`` boxes on a jittered grid at ~1,000 buildings per km² (Huangpu: ~20 km²
and tens of thousands of buildings), footprints 12–40 m, heights from lanes of 3-storey houses to
towers of 100–250 m (5 % of the buildings), every face in one Embree scene. The points are a random
sample of the roof points (``sample_polygons``, up to 16 per roof) and wall points
(``sample_wall_bands``, 3 m storey bands, up to 8 per band) of the buildings in the middle of the city
(so that each point has the full radius of buildings around it), walls and roofs in the proportion
the city gives them (printed). Wall time and CPU time (all threads) are printed: the machine may be
shared, and the load average is printed too.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np
from numpy.typing import NDArray

from gis.shading import (
    SamplePoints,
    Scene,
    horizons,
    sample_polygons,
    sample_wall_bands,
)
from gis.shading_scene import BoolArray, FloatArray


class CountingScene(Scene):
    """A scene that counts the rays cast through it (list.append is atomic under the GIL)."""

    calls: list[int]

    def occluded_local(
        self, local: NDArray[np.float32], directions: NDArray[np.floating], max_distance: float
    ) -> BoolArray:
        self.calls.append(len(local))
        return super().occluded_local(local, directions, max_distance)


def city(buildings: int, seed: int = 0) -> tuple[list[FloatArray], FloatArray, FloatArray]:
    """Boxes on a jittered grid: (faces, footprints (n, 4) x0 y0 x1 y1, heights (n,))."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(buildings))
    pitch = 31.6  # m: 1,000 per km²
    i = np.arange(buildings)
    cx = (i % side) * pitch + rng.uniform(-3, 3, buildings)
    cy = (i // side) * pitch + rng.uniform(-3, 3, buildings)
    w = rng.uniform(12, 25, buildings)
    d = rng.uniform(12, 25, buildings)
    h = np.where(
        rng.random(buildings) < 0.05,
        rng.uniform(100, 250, buildings),
        rng.lognormal(math.log(18), 0.5, buildings),
    )
    h = np.clip(h, 9.0, 250.0)
    boxes = np.column_stack([cx - w / 2, cy - d / 2, cx + w / 2, cy + d / 2])
    faces: list[FloatArray] = []
    for (x0, y0, x1, y1), z in zip(boxes, h, strict=True):
        fp = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        faces.append(np.array([(x, y, z) for x, y in fp]))
        for (ax, ay), (bx, by) in zip(fp, fp[1:] + fp[:1], strict=True):
            faces.append(np.array([(ax, ay, 0.0), (bx, by, 0.0), (bx, by, z), (ax, ay, z)]))
    return faces, boxes, h


def city_points(boxes: FloatArray, heights: FloatArray) -> SamplePoints:
    """Roof points of every box, wall points of every 3 m storey band of every wall."""
    roofs = [
        np.array([(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)])
        for (x0, y0, x1, y1), z in zip(boxes, heights, strict=True)
    ]
    roof_pts = sample_polygons(roofs, max_points=16, min_spacing_m=1.0)
    bands: list[tuple[tuple[float, float], tuple[float, float], tuple[float, float], float, float]] = []
    for (x0, y0, x1, y1), z in zip(boxes, heights, strict=True):
        bottoms = np.arange(0.0, z - 1e-9, 3.0)
        for s, e, n in (
            ((x0, y0), (x1, y0), (0, -1)),
            ((x1, y0), (x1, y1), (1, 0)),
            ((x1, y1), (x0, y1), (0, 1)),
            ((x0, y1), (x0, y0), (-1, 0)),
        ):
            bands.extend((s, e, n, b, min(b + 3.0, z)) for b in bottoms)
    start, end, normal, bottom, top = (np.array([band[i] for band in bands], float) for i in range(5))
    wall_pts = sample_wall_bands(start, end, bottom, top, normal)
    return SamplePoints.concat([roof_pts, wall_pts])


def subset(points: SamplePoints, index: np.ndarray) -> SamplePoints:
    return SamplePoints(points.xyz[index], points.normal[index], points.surface[index])


def run(scene: CountingScene, points: SamplePoints, radius: float, workers: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (all threads) and rays of one horizons call."""
    scene.calls = []
    t, c = time.perf_counter(), time.process_time()
    horizons(scene, points, radius_m=radius, workers=workers)
    return time.perf_counter() - t, time.process_time() - c, sum(scene.calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buildings", type=int, default=20_000)
    parser.add_argument("--points", type=int, default=40_000)
    parser.add_argument("--radius", type=float, default=1500.0)
    parser.add_argument("--baseline", type=int, default=200, help="points cast one at a time")
    args = parser.parse_args()
    print(
        f"CPython {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )

    t = time.perf_counter()
    faces, boxes, heights = city(args.buildings)
    t_city = time.perf_counter() - t
    t = time.perf_counter()
    scene = CountingScene.from_rings(faces)
    t_scene = time.perf_counter() - t
    print(f"city: {args.buildings:,} boxes, {len(faces):,} faces in {t_city:.1f} s")
    print(f"scene: {scene.triangles:,} triangles in {t_scene:.1f} s")

    # points in the middle of the city, so that each has the full radius of buildings around it
    centre = (boxes[:, :2] + boxes[:, 2:]).mean(axis=0) / 2.0
    half = (boxes[:, 2].max() - boxes[:, 0].min()) / 2.0
    mid = np.hypot(*((boxes[:, :2] + boxes[:, 2:]) / 2.0 - centre).T) < max(half - args.radius, 0.25 * half)
    t = time.perf_counter()
    everything = city_points(boxes[mid], heights[mid])
    t_pts = time.perf_counter() - t
    walls = int(np.sum(np.abs(everything.normal[:, 2]) < 0.5))
    print(f"sampling: {mid.sum():,} buildings in the middle, {everything.count:,} points", end="")
    print(f" ({walls:,} on walls) in {t_pts:.1f} s")

    rng = np.random.default_rng(1)
    chosen = rng.choice(everything.count, size=min(args.points, everything.count), replace=False)
    points = subset(everything, np.sort(chosen))
    share = float(np.mean(np.abs(points.normal[:, 2]) < 0.5))
    print(f"measured: {points.count:,} points ({share:.0%} on walls), radius {args.radius:,.0f} m")

    speed: dict[int, float] = {}
    per_cpu = 0.0
    for workers in (1, 2):
        secs, cpu, rays = run(scene, points, args.radius, workers)
        speed[workers] = points.count / secs
        per_cpu = max(per_cpu, points.count / cpu)
        print(f"horizons, {workers} thread(s): {secs:.1f} s wall, {cpu:.1f} s CPU, {rays:,} rays", end="")
        print(f" ({rays / points.count:.0f} per point): {rays / secs / 1e6:.2f} M rays/s, ", end="")
        print(f"{speed[workers]:,.0f} points/s")

    few = subset(points, np.arange(min(args.baseline, points.count)))
    scene.calls = []
    t = time.perf_counter()
    for k in range(few.count):
        horizons(scene, subset(few, np.array([k])), radius_m=args.radius, workers=1)
    secs = time.perf_counter() - t
    rays = sum(scene.calls)
    print(f"baseline, one point at a time: {few.count} points in {secs:.2f} s, ", end="")
    print(f"{rays / secs / 1e6:.2f} M rays/s, {few.count / secs:,.0f} points/s", end="")
    print(f" ({speed[1] / (few.count / secs):.1f}x slower than batched on 1 thread)")
    target = 400_000
    print(f"extrapolated to {target:,} points at this wall share: ", end="")
    print(
        f"{target / speed[2]:.0f} s on 2 threads, {target / speed[1]:.0f} s on 1 (wall, as loaded); ", end=""
    )
    print(f"{target / per_cpu:.0f} CPU seconds ({per_cpu:,.0f} points per CPU second)")


if __name__ == "__main__":
    main()
