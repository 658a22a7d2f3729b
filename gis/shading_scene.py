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
from typing import Self

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


def plane_axes(unit: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two in-plane unit axes (u horizontal where the plane is not flat, v = n × u) for a unit normal.

    Horizontal u makes a wall's sample grid run in rows along its width and a roof's up its slope.
    """
    u = np.array([-unit[1], unit[0], 0.0])
    norm = float(np.hypot(u[0], u[1]))
    u = np.array([1.0, 0.0, 0.0]) if norm < 1e-9 else u / norm
    return u, np.cross(unit, u)


def as_rings(face: FaceRings) -> list[FloatArray]:
    """The rings of a face given as one (k, 3) ring or as (exterior, *holes), as float arrays."""
    if isinstance(face, np.ndarray) and face.ndim == 2:
        return [np.asarray(face, dtype=float)]
    return [np.asarray(r, dtype=float) for r in face]


def planes(exteriors: list[FloatArray]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per ring at once: area (m²), origin (its first vertex) and unit normal (Newell's; 0 if no area).

    The vectorised form of :func:`gis.plane.newell_vector` (a city has 10⁵–10⁶ faces). Rings need ≥ 1 vertex.
    """
    counts = np.fromiter((len(r) for r in exteriors), dtype=np.int64, count=len(exteriors))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    pts = np.concatenate(exteriors).astype(float) if exteriors else np.zeros((0, 3))
    ring = np.repeat(np.arange(len(exteriors)), counts)
    origin = pts[starts] if len(pts) else np.zeros((0, 3))
    p = pts - origin[ring]
    nxt = np.arange(len(p)) + 1
    nxt[starts + counts - 1] = starts
    q = p[nxt]
    terms = np.column_stack(
        [
            (p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2]),
            (p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0]),
            (p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1]),
        ]
    )
    normal = np.add.reduceat(terms, starts, axis=0) if len(p) else np.zeros((0, 3))
    length = np.linalg.norm(normal, axis=1)
    return length / 2.0, origin, normal / np.where(length > 0, length, 1.0)[:, None]


def axes(unit: FloatArray) -> tuple[FloatArray, FloatArray]:
    """In-plane unit axes u (horizontal where the plane is not flat) and v = n × u per unit normal
    (n, 3): the vectorised form of :func:`plane_axes`."""
    u = np.column_stack([-unit[:, 1], unit[:, 0], np.zeros(len(unit))])
    norm = np.hypot(u[:, 0], u[:, 1])
    flat = norm < 1e-9
    u[flat] = (1.0, 0.0, 0.0)
    u[~flat] /= norm[~flat, None]
    return u, np.cross(unit, u)


def flat_polygons(
    rings: list[FloatArray], origin: FloatArray, u: FloatArray, v: FloatArray
) -> NDArray[np.object_]:
    """2D polygons (no holes) of rings projected on their planes (origin, u, v per ring), in one call."""
    counts = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
    ring = np.repeat(np.arange(len(rings)), counts)
    pts = np.concatenate(rings) - origin[ring]
    flat = np.column_stack([np.einsum("ij,ij->i", pts, u[ring]), np.einsum("ij,ij->i", pts, v[ring])])
    return shapely.polygons(shapely.linearrings(flat, indices=ring))


def _triangles_2d(polygons: NDArray[np.object_]) -> tuple[FloatArray, IntArray]:
    """(t, 3, 2) triangles of 2D polygons and the polygon of each, by GEOS's constrained Delaunay.

    Invalid polygons (a self-touching or self-crossing ring) are repaired (``make_valid``) first.
    """
    bad = ~shapely.is_valid(polygons)
    if bad.any():
        polygons = polygons.copy()
        polygons[bad] = shapely.make_valid(polygons[bad])
    parts, owner = shapely.get_parts(shapely.constrained_delaunay_triangles(polygons), return_index=True)
    keep = shapely.get_type_id(parts) == 3
    parts, owner = parts[keep], owner[keep]
    if len(parts) == 0:
        return np.zeros((0, 3, 2)), np.zeros(0, dtype=np.int64)
    coords = shapely.get_coordinates(shapely.get_exterior_ring(parts))
    return coords.reshape(len(parts), 4, 2)[:, :3, :], owner.astype(np.int64)


def _triangulate_group(faces: list[list[FloatArray]]) -> tuple[FloatArray, IntArray]:
    """Triangles (t, 3, 3) of faces with areas, and the index in ``faces`` of each."""
    _, origin, unit = planes([f[0] for f in faces])
    u, v = axes(unit)
    polygons = np.empty(len(faces), dtype=object)
    for i, rings in enumerate(faces):
        flat = [np.column_stack([(r - origin[i]) @ u[i], (r - origin[i]) @ v[i]]) for r in rings]
        polygons[i] = shapely.Polygon(flat[0], holes=flat[1:] or None)
    try:
        tri2, owner = _triangles_2d(polygons)
    except shapely.errors.GEOSException:
        # one polygon GEOS cannot triangulate spoils the batch: find it one by one
        parts = []
        for i in range(len(polygons)):
            try:
                t, _ = _triangles_2d(polygons[i : i + 1])
            except shapely.errors.GEOSException:
                continue
            parts.append((t, np.full(len(t), i, dtype=np.int64)))
        if not parts:
            return np.zeros((0, 3, 3)), np.zeros(0, dtype=np.int64)
        tri2, owner = np.concatenate([t for t, _ in parts]), np.concatenate([o for _, o in parts])
    tris = origin[owner, None, :] + tri2[..., :1] * u[owner, None, :] + tri2[..., 1:] * v[owner, None, :]
    return tris, owner


def triangulate(faces: Iterable[FaceRings]) -> tuple[FloatArray, IntArray, list[int]]:
    """Triangles (t, 3, 3) of planar faces, the face index of each, and the faces left out.

    A face is left out when it has no area (fewer than 3 vertices, collinear) or GEOS cannot
    triangulate it even after repair; the caller decides whether that is an error. Faces without
    holes (nearly all) are projected and triangulated in vectorised batches.
    """
    all_rings = [as_rings(f) for f in faces]
    usable = [i for i, rings in enumerate(all_rings) if len(rings[0]) >= 3]
    if not usable:
        return np.zeros((0, 3, 3)), np.zeros(0, dtype=np.int64), list(range(len(all_rings)))
    area, origin, unit = planes([all_rings[i][0] for i in usable])
    u, v = axes(unit)
    usable_arr = np.asarray(usable, dtype=np.int64)
    ok = area >= MIN_FACE_AREA_M2
    simple = ok & np.fromiter((len(all_rings[i]) == 1 for i in usable), dtype=bool, count=len(usable))
    tris: list[FloatArray] = []
    owners: list[IntArray] = []
    sel = np.nonzero(simple)[0]
    if len(sel):
        polygons = flat_polygons([all_rings[i][0] for i in usable_arr[sel]], origin[sel], u[sel], v[sel])
        try:
            tri2, owner = _triangles_2d(polygons)
            tris.append(
                origin[sel][owner, None]
                + tri2[..., :1] * u[sel][owner, None]
                + tri2[..., 1:] * v[sel][owner, None]
            )
            owners.append(usable_arr[sel][owner])
        except shapely.errors.GEOSException:
            simple[:] = False  # hand them all to the careful path below
    holed = np.nonzero(ok & ~simple)[0]
    if len(holed):
        t, owner = _triangulate_group([all_rings[i] for i in usable_arr[holed]])
        tris.append(t)
        owners.append(usable_arr[holed][owner])
    tri = np.concatenate(tris) if tris else np.zeros((0, 3, 3))
    owner_all = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    skipped = sorted(set(range(len(all_rings))) - set(owner_all.tolist()))
    return tri, owner_all, skipped


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
    def from_triangles(cls, tris: FloatArray, skipped: list[int] | None = None) -> Self:
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
    def from_rings(cls, rings: Iterable[FaceRings]) -> Self:
        """A scene of planar polygons: each a (k, 3) exterior ring, or a sequence (exterior, *holes)."""
        tris, _, skipped = triangulate(rings)
        return cls.from_triangles(tris, skipped)

    @classmethod
    def from_stock(cls, stock: Stock) -> Self:
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
