"""The building-stock readers' messages: every skip reason, note, row problem and whole-file error of
:mod:`gis.stock_footprints`, :mod:`gis.stock_cityjson` and :mod:`gis.stock_files`, as English
``str.format`` templates.

A template is the message's ``code`` (:class:`gis.stock.Skipped`, :class:`gis.stock.StockProblem`,
:class:`gis.stock.StockError`, ``StockBuilding.note_code``): the CLI and the API show the filled-in
English, the pages look the template up in their catalogue (each is marked ``N_`` for
``pybabel extract``). Reports and stored rows keep only the English text, so :data:`ALL` lists the
templates for the pages to recognise a stored message by.
"""

from __future__ import annotations

from gis.stock import N_

# --- where --------------------------------------------------------------------------------------------

FEATURE = N_("feature {number}")
LINE = N_("line {number}")

# --- skipped: not a building, not a footprint -----------------------------------------------------------

BRIDGE_MAN_MADE = N_("bridge (man_made=bridge): not a candidate")
BRIDGE = N_("bridge: not a candidate")
HIGHWAY = N_("highway={highway}: not a building")
NO_BUILDING_TAG = N_("no building or building:part property: not a building")
BUILDING_NO = N_("building=no: not a building")
NOT_A_FOOTPRINT = N_("{geometry}: not a footprint (Polygon, MultiPolygon)")
NO_GEOMETRY = N_("no geometry: not a footprint (Polygon, MultiPolygon)")
CSV_POINT = N_("a point (lon, lat), not a footprint (give the outline as WKT in a wkt column)")
CSV_NO_WKT = N_("no wkt: not a footprint (give the outline as WKT in a wkt column)")
CITY_NOT_A_BUILDING = N_("{kind}: not a building")
CITY_NO_GEOMETRY = N_("{kind} without geometry: nothing to survey")
DEGENERATE_FACE = N_("degenerate face (no area)")

# --- notes: a building kept without a 3D shape ------------------------------------------------------------

NOTE_NO_HEIGHT = N_("no height and no building:levels: footprint only, no 3D shape")
NOTE_PARTS_NO_HEIGHT = N_("neither the building nor its parts give a height or levels: no 3D shape")
NOTE_FLAT = N_("height {height:g} m: no 3D shape")
NOTE_NO_FACES = N_("the building's geometry has no faces with an area")

# --- row problems ---------------------------------------------------------------------------------------

NOT_A_FEATURE = N_('expected "type": "Feature"')
BAD_PROPERTIES = N_("properties must be an object or null")
NO_POLYGON = N_("a footprint needs at least one polygon with a ring")
NO_RINGS = N_("a polygon needs a list of rings")
BAD_RING = N_("a ring must be a list of [lon, lat] number pairs")
RING_TOO_LONG = N_("the ring has {count} positions, more than {maximum}: simplify it")
A_RING_TOO_LONG = N_("a ring has more than {maximum} positions: simplify it")
FEW_CORNERS = N_("a ring needs at least 3 corners, this one has {corners}")
FEET = N_("{value!r} is in feet: give the height in metres (e.g. 45 m)")
NOT_METRES = N_('{value!r} is not a height in metres (e.g. 45 or "45 m")')
NEGATIVE_HEIGHT = N_("{value!r} is negative: a height is 0 or more metres")
NOT_STOREYS = N_("{value!r} is not a number of storeys")
NEGATIVE_STOREYS = N_("{value!r} is negative: storeys are 0 or more")
STARTS_ABOVE_TOP = N_("the building starts at {min_height:g} m, not below its top ({height:g} m)")
DUPLICATE_ID_FEATURE = N_("id {id!r} is also the id of feature {number}")
DUPLICATE_ID_LINE = N_("id {id!r} is also the id of line {number}")
NOT_WKT = N_("not WKT")
NOT_WKT_BECAUSE = N_("not WKT: {error}")
EMPTY_FOOTPRINT = N_("the footprint is empty")
NOT_LONLAT = N_("position ({lon:g}, {lat:g}) is not a longitude/latitude in degrees")
SWAPPED = N_("positions look like [lat, lon]: give longitude first")
NO_AREA = N_("the footprint has no area: its corners lie on one line")
SELF_CROSSING = N_(
    "the outline crosses itself or a hole lies outside it ({reason}): "
    "reorder the corners so each ring goes around once"
)
OFF_EARTH = N_(
    "the building comes out at lon {lon:g}, lat {lat:g}, not a place pvhub can survey: "
    "check the file's CRS and transform"
)
SURFACE_NO_RINGS = N_("surface {index} has no rings")
SURFACE_BAD_INDICES = N_("surface {index} has malformed vertex indices")
SURFACE_NO_VERTEX = N_("surface {index} refers to a vertex that does not exist")

# --- whole-file errors ------------------------------------------------------------------------------------

NOT_FEATURE_COLLECTION = N_('not a GeoJSON FeatureCollection (expected "type": "FeatureCollection")')
NO_FEATURES = N_('the FeatureCollection has no "features" list')
UNKNOWN_DATUM = N_("unknown datum {datum!r}: expected one of {datums}")
CSV_EMPTY = N_("the CSV file is empty")
CSV_NO_WKT_COLUMN = N_(
    "the CSV header has no wkt (or geometry) column for the footprints (columns: {columns})"
)
CSV_UNREADABLE = N_("line {line} cannot be read as CSV: {error}")
NOT_CITYJSON = N_('not a CityJSON document (expected "type": "CityJSON")')
CITYJSON_VERSION = N_("CityJSON version {version!r} is not supported (1.1 or 2.0)")
UNKNOWN_EPSG = N_("EPSG:{epsg} is not a CRS pvhub knows: give the file's CRS with --crs")
CENTRE_OFF_EARTH = N_("the file's centre (lon {lon:g}, lat {lat:g}) is not on Earth: {error}")
NOT_METRIC = N_("EPSG:{epsg} measures in {unit}: pvhub reads projected CityJSON in metres")
JSON_OTHER = N_(
    "{name}: a JSON file must be a GeoJSON FeatureCollection or a CityJSON document, not {kind!r}"
)
JSON_LIST = N_("{name}: a JSON list is not a building file (GeoJSON FeatureCollection or CityJSON)")
UTF16 = N_("{name} is UTF-16 encoded: save it as UTF-8")
NUL = N_("{name} holds NUL characters: it is not a text file (GeoJSON, CSV or CityJSON)")
NOT_TEXT = N_("{name} is neither UTF-8 nor GB18030 text")
BAD_JSON = N_("{name} is not valid JSON: line {line}, column {column}: {error}")
DEEP_JSON = N_("{name} nests JSON too deeply to be a building file")
NOT_LONLAT_CRS = N_(
    "{name}: GeoJSON and CSV footprints are WGS84 longitude/latitude (RFC 7946), not EPSG:{epsg}; "
    "give a datum (gcj02, bd09) for Chinese web-map coordinates"
)
#: a reader's error prefixed with the file's name; ``message`` is the reader's own (English) message
NAMED = N_("{name}: {message}")

#: Every template above, for a page to recognise a stored English message by.
ALL: tuple[str, ...] = tuple(
    value for key, value in sorted(globals().items()) if key.isupper() and isinstance(value, str)
)
