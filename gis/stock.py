"""The building stock as a building file describes it: what pvhub knows of each building before anyone
owns it in pvhub (the survey, 排摸, starts here).

Readers (:mod:`gis.stock_footprints` for GeoJSON and CSV footprints, :mod:`gis.stock_cityjson` for
CityJSON LoD1/LoD2) return a :class:`Stock`; :mod:`gis.candidates` derives candidate PV surfaces from
it. Everything here is pure: no database, no web.

Coordinates. Faces are kept in one *metric frame* per file (:class:`MetricFrame`): the file's own
projected CRS for a CityJSON file in metres (so a face's coordinates are the file's, after its
``transform``), or the local UTM zone for files in longitude/latitude (GeoJSON, CSV, a geographic
CityJSON). Heights are metres in the file's vertical datum; a footprint's ground is at 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon

FaceKind = Literal["roof", "wall", "ground", "other"]
FloatArray = NDArray[np.float64]

#: Storey height assumed where a source gives levels but no height, m. 3.0 m lies between Chinese
#: housing (GB 50096-2011 caps a dwelling's storey at 2.8 m) and offices (3.3–4.2 m); it is the value
#: OpenStreetMap's 3D renderers (e.g. OSM Buildings, F4 Map) assume for ``building:levels``.
DEFAULT_STOREY_HEIGHT_M = 3.0


@dataclass(frozen=True)
class SourceRef:
    """Where something came from in the file.

    ``object`` is the CityJSON object (Building or BuildingPart); ``feature`` the 0-based GeoJSON
    feature index, or the CSV line number as the register import counts it; ``faces`` the indices
    of the object's surfaces in its geometry of the highest LoD (boundaries in order, shells
    concatenated) — for footprints the roof is face 0 and the walls are faces 1… by footprint edge
    in ring order (exterior ring first, then holes).
    """

    object: str | None = None
    feature: int | None = None
    faces: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``{"object", "feature", "faces"}`` the survey prints."""
        return {"object": self.object, "feature": self.feature, "faces": list(self.faces)}


@dataclass(frozen=True)
class Face:
    """One planar face of a building's 3D shape.

    ``rings`` are (k, 3) arrays in the frame's metric coordinates, exterior ring first, then holes,
    not closed (the first vertex is not repeated). ``kind`` is the semantic class (``RoofSurface`` →
    roof, ``WallSurface`` → wall, ``GroundSurface`` → ground) or, without semantics (LoD1), the class
    of the face's normal. ``indices`` are the object's face indices merged into this face (a roof
    triangulated into a fan becomes one planar face with several indices).
    """

    object_id: str | None
    indices: tuple[int, ...]
    kind: FaceKind
    semantic: str | None
    rings: tuple[FloatArray, ...]


@dataclass
class StockBuilding:
    """A building of the district's stock.

    ``id`` is the CityJSON Building id, or the feature's ``id`` (GeoJSON) / ``id`` column (CSV), or
    its index when it has none. ``footprint`` is WGS84 lon/lat (None only when the source has no
    usable outline). ``base_m`` is the ground under it in the frame's vertical datum (0 for
    footprints); ``height_m`` its height above that ground to the top (None when unknown);
    ``min_height_m`` where the building starts above the ground (a bridge or overhang, OSM
    ``min_height``). ``faces`` is its 3D shape: the CityJSON faces kept as they are (LoD1 or LoD2),
    or the prism extruded from the footprint (roof face 0, walls 1… by ring edge); empty, with
    ``note`` saying why, when neither height nor levels are known.
    """

    id: str
    source: SourceRef
    footprint: Polygon | MultiPolygon | None
    base_m: float = 0.0
    height_m: float | None = None
    min_height_m: float = 0.0
    storeys: int | None = None
    use: str | None = None
    name: str | None = None
    address: str | None = None
    roof_shape: str | None = None
    roof_height_m: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    faces: list[Face] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    #: where each part came from (footprints: its feature index or CSV line), by part id
    part_sources: dict[str, SourceRef] = field(default_factory=dict)
    lod: str | None = None
    note: str | None = None
    #: ``note``'s English template (:mod:`gis.stock_messages`) and its values, for the pages
    note_code: str = ""
    note_params: dict[str, Any] = field(default_factory=dict)


def N_(template: str) -> str:
    """Mark an English reason template for the pages' catalogues (``pybabel extract -k N_``)."""
    return template


@dataclass(frozen=True)
class Skipped:
    """An object, feature or face left out, and why (a road, a bridge, a north wall, too small).

    ``reason`` is English (the CLI's JSON, logs). ``code`` is its ``str.format`` template, the stable
    key the pages translate it by, and ``params`` the plain values it names (numbers, words such as a
    compass point or a surface kind; extra values, such as a band's number, may ride along); both
    are empty for a free-text reason, e.g. a reader's note, which pages show as it is."""

    source: SourceRef
    reason: str
    code: str = field(default="", kw_only=True)
    params: dict[str, Any] = field(default_factory=dict, kw_only=True)


def because(template: str, /, **params: Any) -> dict[str, Any]:
    """The ``reason``, ``code`` and ``params`` of a :class:`Skipped` whose reason is ``template``."""
    return {"reason": template.format(**params), "code": template, "params": params}


@dataclass(frozen=True)
class StockProblem:
    """A row-level error: ``where`` is "feature 3", "line 4" or a CityJSON object id; ``field`` the
    property or column; ``message`` what is wrong, in words a user can act on."""

    where: str
    field: str
    message: str
    #: the English ``str.format`` template of ``message`` (marked ``N_``) and the values it names, as
    #: for :class:`Skipped`: the pages translate a problem by them; empty for a free-text message
    #: (``dataclasses.field``: within this class ``field`` names the member)
    code: str = dataclasses.field(default="", kw_only=True)
    params: dict[str, Any] = dataclasses.field(default_factory=dict, kw_only=True)


def problem(where: str, field: str, template: str, /, **params: Any) -> StockProblem:
    """A :class:`StockProblem` whose message is ``template`` filled with ``params`` (its code)."""
    return StockProblem(where, field, template.format(**params), code=template, params=params)


@dataclass(frozen=True)
class MetricFrame:
    """The metric CRS a file's faces are measured in, and the ways out of it.

    ``epsg`` is the horizontal metric CRS; ``to_wgs84(x, y)`` gives (lon, lat) arrays;
    ``to_file(x, y, z)`` gives the file's own coordinates (the identity for a projected CityJSON;
    lon, lat, z for GeoJSON and CSV); ``convergence_deg(x, y)`` is the angle from grid north to true
    north at each point, to add to a grid azimuth to get a true one (0 in UTM's own meridian).
    """

    epsg: int
    source_epsg: int
    to_wgs84: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]
    to_file: Callable[[FloatArray, FloatArray, FloatArray], tuple[FloatArray, FloatArray, FloatArray]]
    convergence_deg: Callable[[FloatArray, FloatArray], FloatArray]


@dataclass
class Stock:
    """What a building file holds: buildings, what was skipped, row-level problems, the frame."""

    buildings: list[StockBuilding]
    skipped: list[Skipped]
    problems: list[StockProblem]
    frame: MetricFrame
    warnings: list[str] = field(default_factory=list)
    source_format: Literal["geojson", "csv", "cityjson"] = "geojson"


class StockError(ValueError):
    """The file as a whole cannot be read (not JSON, not a FeatureCollection or CityJSON, no CRS, no
    vertices): the message says what the file is and what was expected."""

    def __init__(self, message: str, *, code: str = "", params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        #: the message's English template (marked ``N_``) and its values, as :class:`StockProblem`'s
        self.code = code
        self.params = dict(params or {})

    @classmethod
    def of(cls, template: str, /, **params: Any) -> StockError:
        """The error whose message is ``template`` filled with ``params``."""
        return cls(template.format(**params), code=template, params=params)
