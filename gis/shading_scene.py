"""The ray-casting scene of building shade: building faces triangulated into an Embree scene.

Embree (Intel's CPU ray tracer, through the ``embreex`` bindings) answers "does this ray hit anything
within this distance" for millions of rays a second; pvhub uses it rather than a hand-written ray
caster (issue #19). Embree works in single precision, and the stock's metric frame is a projected CRS
whose coordinates reach millions of metres (UTM northings in Shanghai are ~3.46e6 m, where a float32
step is 0.25 m), so the scene keeps its own local origin near the middle of its faces and every
coordinate is shifted by it in double precision before it becomes float32 (a step of ~1 mm within
10 km of the origin).

Faces are planar polygons (an exterior ring and optional holes, (k, 3) arrays in the frame, not
closed). Each is projected onto its own plane and triangulated by GEOS's constrained Delaunay
triangulation (``shapely.constrained_delaunay_triangles``), which keeps the polygon's own vertices,
so the triangles lie back on the plane exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from embreex import rtcore_scene
from embreex.mesh_construction import TriangleMesh
from numpy.typing import NDArray

from gis.stock import Stock

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: A face: its exterior ring alone, or the exterior ring followed by its holes.
FaceRings = FloatArray | Sequence[FloatArray]

#: Faces smaller than this (m²) cannot hide anything worth a ray and are left out of the scene.
MIN_FACE_AREA_M2 = 1e-6


def newell(ring: FloatArray) -> FloatArray:
    """Newell's vector of a ring (3,): normal to its plane, length twice its area.

    Counter-clockwise seen from a side, it points to that side. Vertices are shifted to the first one
    first so that large projected coordinates do not cancel.
    """
    p = np.asarray(ring, dtype=float) - np.asarray(ring, dtype=float)[0]
    q = np.roll(p, -1, axis=0)
    return np.array(
        [
            np.sum((p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2])),
            np.sum((p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0])),
            np.sum((p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1])),
        ]
    )


def plane_axes(unit: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two in-plane unit axes (u horizontal where the plane is not flat, v = n × u) for a unit normal.

    Horizontal u makes a wall's sample grid run in rows along its width and a roof's up its slope.
    """
    u = np.array([-unit[1], unit[0], 0.0])
    norm = float(np.hypot(u[0], u[1]))
    u = np.array([1.0, 0.0, 0.0]) if norm < 1e-9 else u / norm
    return u, np.cross(unit, u)


def _as_rings(face: FaceRings) -> list[FloatArray]:
    if isinstance(face, np.ndarray) and face.ndim == 2:
        return [np.asarray(face, dtype=float)]
    return [np.asarray(r, dtype=float) for r in face]


def _projected(rings: list[FloatArray]) -> tuple[shapely.Polygon, FloatArray, FloatArray, FloatArray] | None:
    """The face as a 2D polygon in its own plane, with the plane's origin and axes; None if degenerate."""
    exterior = rings[0]
    if len(exterior) < 3:
        return None
    n = newell(exterior)
    area2 = float(np.linalg.norm(n))
    if area2 / 2.0 < MIN_FACE_AREA_M2:
        return None
    unit = n / area2
    u, v = plane_axes(unit)
    origin = exterior[0]
    flat = [np.column_stack([(r - origin) @ u, (r - origin) @ v]) for r in rings]
    return shapely.Polygon(flat[0], holes=flat[1:] or None), origin, u, v


def _triangles_2d(polygon: shapely.Polygon) -> FloatArray:
    """(t, 3, 2) triangles of a polygon; an invalid polygon is repaired (``make_valid``) first."""
    try:
        out = shapely.constrained_delaunay_triangles(polygon)
    except shapely.errors.GEOSException:
        # a self-touching or self-crossing ring: GEOS repairs it into valid polygons first
        out = shapely.constrained_delaunay_triangles(shapely.make_valid(polygon))
    parts = shapely.get_parts(out)
    parts = parts[shapely.get_type_id(parts) == 3]
    if len(parts) == 0:
        return np.zeros((0, 3, 2))
    coords = shapely.get_coordinates(shapely.get_exterior_ring(parts))
    return coords.reshape(len(parts), 4, 2)[:, :3, :]


def triangulate(faces: Iterable[FaceRings]) -> tuple[FloatArray, IntArray, list[int]]:
    """Triangles (t, 3, 3) of planar faces, the face index of each, and the faces left out.

    A face is left out when it has no area (fewer than 3 vertices, collinear) or GEOS cannot
    triangulate it even after repair; the caller decides whether that is an error.
    """
    tris: list[FloatArray] = []
    owner: list[IntArray] = []
    skipped: list[int] = []
    for i, face in enumerate(faces):
        rings = _as_rings(face)
        projected = _projected(rings)
        if projected is None:
            skipped.append(i)
            continue
        polygon, origin, u, v = projected
        try:
            flat = _triangles_2d(polygon)
        except shapely.errors.GEOSException:
            skipped.append(i)
            continue
        if len(flat) == 0:
            skipped.append(i)
            continue
        tris.append(origin + flat[..., :1] * u + flat[..., 1:] * v)
        owner.append(np.full(len(flat), i, dtype=np.int64))
    if not tris:
        return np.zeros((0, 3, 3)), np.zeros(0, dtype=np.int64), skipped
    return np.concatenate(tris), np.concatenate(owner), skipped


@dataclass
class Scene:
    """An Embree scene of building faces, for occlusion queries in the stock's metric frame.

    ``origin`` is the local origin subtracted (in float64) before Embree's float32; ``skipped`` lists
    the indices of the faces given that were left out (no area, or not triangulable).
    """

    triangles: int
    origin: FloatArray
    skipped: list[int] = field(default_factory=list)
    _embree: rtcore_scene.EmbreeScene | None = field(default=None, repr=False)

    @classmethod
    def from_triangles(cls, tris: FloatArray, skipped: list[int] | None = None) -> Scene:
        """A scene of (t, 3, 3) triangles in the frame."""
        tris = np.asarray(tris, dtype=float).reshape(-1, 3, 3)
        if len(tris) == 0:
            return cls(0, np.zeros(3), list(skipped or []), None)
        flat = tris.reshape(-1, 3)
        origin = np.round((flat.min(axis=0) + flat.max(axis=0)) / 2.0)
        embree = rtcore_scene.EmbreeScene()
        TriangleMesh(embree, (tris - origin).astype(np.float32))
        return cls(len(tris), origin, list(skipped or []), embree)

    @classmethod
    def from_rings(cls, rings: Iterable[FaceRings]) -> Scene:
        """A scene of planar polygons: each a (k, 3) exterior ring, or a sequence (exterior, *holes)."""
        tris, _, skipped = triangulate(rings)
        return cls.from_triangles(tris, skipped)

    @classmethod
    def from_stock(cls, stock: Stock) -> Scene:
        """Every face of every building of the stock except ground faces (they hide nothing above).

        ``skipped`` counts over the faces taken, in building then face order.
        """
        faces = [
            face.rings for b in stock.buildings for face in b.faces if face.kind != "ground" and face.rings
        ]
        return cls.from_rings(faces)

    def local(self, xyz: FloatArray) -> NDArray[np.float32]:
        """Points of the frame in the scene's float32 coordinates (shifted by ``origin`` in float64)."""
        return (np.asarray(xyz, dtype=float).reshape(-1, 3) - self.origin).astype(np.float32)

    def occluded(
        self, origins: FloatArray, directions: NDArray[np.floating], max_distance: float
    ) -> BoolArray:
        """(m,) True where the ray from each origin (frame coordinates) along its unit direction hits a
        face within ``max_distance`` metres (Embree's ray length: a face farther away does not count)."""
        return self.occluded_local(self.local(origins), directions, max_distance)

    def occluded_local(
        self, local: NDArray[np.float32], directions: NDArray[np.floating], max_distance: float
    ) -> BoolArray:
        """:meth:`occluded` for origins already in the scene's coordinates (:meth:`local`)."""
        if self._embree is None or len(local) == 0:
            return np.zeros(len(local), dtype=bool)
        dirs = np.ascontiguousarray(directions, dtype=np.float32).reshape(-1, 3)
        dists = np.full(len(local), max_distance, dtype=np.float32)
        hit = self._embree.run(np.ascontiguousarray(local), dirs, dists=dists, query="OCCLUDED")
        return np.asarray(hit) != -1
