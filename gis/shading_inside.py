"""Sample points that fell inside a building, and where to move them: pure geometry of the stock.

A surface typed a little off (a roof a metre below the stock's roof, a wall line drawn just inside the
footprint) puts its sample points inside its own building, where every ray hits the inside: the
application (``pvhub.survey.surface_shading``) decides what to do with them, these functions find them
and the place just outside.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import Polygon

from gis.plane import newell_vector
from gis.shading import LIFT_M, SamplePoints
from gis.stock import Stock, StockBuilding

#: A point is moved out in steps of this length, m.
PUSH_STEP_M = 0.25


def unit_normal(ring: np.ndarray) -> np.ndarray:
    """The unit normal of a planar ring (Newell's vector normalised; zero for a degenerate ring)."""
    normal = newell_vector(ring)
    norm = float(np.linalg.norm(normal))
    return normal / norm if norm > 0 else normal


def buildings_at(stock: Stock, xy: np.ndarray) -> list[StockBuilding]:
    """The buildings with faces whose plan bounding box holds one of the points ``xy``."""
    with_faces = [b for b in stock.buildings if b.faces]
    if not with_faces or len(xy) == 0:
        return []
    boxes = []
    for building in with_faces:
        vertices = np.concatenate(
            [np.asarray(r, dtype=float)[:, :2] for f in building.faces for r in f.rings]
        )
        boxes.append(shapely.box(*vertices.min(axis=0), *vertices.max(axis=0)))
    tree = shapely.STRtree(shapely.points(xy))
    _box, _point = tree.query(boxes, predicate="intersects")
    return [with_faces[i] for i in sorted(set(_box.tolist()))]


def roof_planes(buildings: Sequence[StockBuilding]) -> tuple[list[Polygon], np.ndarray, np.ndarray]:
    """The plan polygon of every non-vertical roof face, its plane (point, unit normal) stacked
    as (n, 6), and the bottom (lowest z) of the building it belongs to."""
    plans: list[Polygon] = []
    planes: list[np.ndarray] = []
    bottoms: list[float] = []
    for building in buildings:
        bottom = min(float(np.min(r[:, 2])) for f in building.faces for r in f.rings if len(r))
        for face in building.faces:
            if face.kind != "roof" or not face.rings or len(face.rings[0]) < 3:
                continue
            ring = np.asarray(face.rings[0], dtype=float)
            normal = unit_normal(ring)
            if abs(normal[2]) < 0.1:
                continue
            plan = Polygon(ring[:, :2])
            if not plan.is_valid or plan.area <= 0:
                continue
            plans.append(plan)
            planes.append(np.concatenate([ring.mean(axis=0), normal]))
            bottoms.append(bottom)
    return plans, np.array(planes, dtype=float).reshape(-1, 6), np.array(bottoms, dtype=float)


def roof_above(xyz: np.ndarray, which: np.ndarray, buildings: Sequence[StockBuilding]) -> np.ndarray:
    """Per point: the z of the lowest roof face above it of a building it stands in (in plan within
    the face, above the building's bottom); inf where it is inside none, or not in ``which``."""
    target = np.full(len(xyz), np.inf)
    chosen = np.flatnonzero(which)
    plans, planes, bottoms = roof_planes(buildings)
    if chosen.size == 0 or not plans:
        return target
    tree = shapely.STRtree(plans)
    hit_point, hit_face = tree.query(shapely.points(xyz[chosen, :2]), predicate="within")
    for p, f in zip(hit_point.tolist(), hit_face.tolist(), strict=True):
        i = chosen[p]
        x, y, z = xyz[i]
        px, py, pz, nx, ny, nz = planes[f]
        roof_z = pz - (nx * (x - px) + ny * (y - py)) / nz
        if bottoms[f] - 0.01 <= z < roof_z - 0.01:  # under this roof, within its building
            target[i] = min(target[i], roof_z)
    return target


def push_out_of_footprints(
    points: SamplePoints, which: np.ndarray, buildings: Sequence[StockBuilding], *, max_push_m: float
) -> None:
    """Move the points ``which`` that lie inside a building (within its footprint — the union of its
    roof faces' plans — and its height range) out along their normal's horizontal part, to just
    outside the footprint (plus :data:`gis.shading.LIFT_M`), in place; a point that would need more than
    ``max_push_m`` stays where it is."""
    chosen = np.flatnonzero(which)
    if chosen.size == 0:
        return
    shells: list[Polygon] = []
    ranges: list[tuple[float, float]] = []
    for building in buildings:
        rings = [np.asarray(r, dtype=float) for f in building.faces for r in f.rings if len(r)]
        if not rings:
            continue
        zs = np.concatenate([r[:, 2] for r in rings])
        plans = [
            Polygon(np.asarray(f.rings[0])[:, :2]) for f in building.faces if f.kind == "roof" and f.rings
        ]
        outline = shapely.union_all([p for p in plans if p.is_valid and p.area > 0])
        if outline.is_empty:
            continue
        shells.append(outline)
        ranges.append((float(zs.min()), float(zs.max())))
    if not shells:
        return
    tree = shapely.STRtree(shells)
    xyz, normal = points.xyz, points.normal
    hit_point, hit_shell = tree.query(shapely.points(xyz[chosen, :2]), predicate="within")
    inside: dict[int, list[int]] = {}
    for p, s in zip(hit_point.tolist(), hit_shell.tolist(), strict=True):
        low, high = ranges[s]
        if low <= xyz[chosen[p], 2] <= high:
            inside.setdefault(chosen[p], []).append(s)
    steps = np.arange(PUSH_STEP_M, max_push_m + PUSH_STEP_M, PUSH_STEP_M)
    for i, owners in inside.items():
        direction = normal[i, :2] / max(1e-9, float(np.hypot(*normal[i, :2])))
        xs = xyz[i, 0] + steps * direction[0]
        ys = xyz[i, 1] + steps * direction[1]
        covered = np.zeros(steps.size, dtype=bool)
        for s in owners:
            covered |= shapely.contains_xy(shells[s], xs, ys)
        free = np.flatnonzero(~covered)
        if free.size:
            distance = steps[free[0]] + LIFT_M
            xyz[i, 0] += distance * direction[0]
            xyz[i, 1] += distance * direction[1]
