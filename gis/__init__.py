"""Pure geometry for pvhub: CRS transforms, areas, setbacks, 3D planes, GeoJSON/CityJSON parsing.

No database and no web framework here: plain data in, plain data out.

Modules
-------
crs
    EPSG parsing, the local UTM projection for metric work, transformers to and from WGS84
    (CGCS2000 is taken as WGS84).
chinese_crs
    GCJ-02 and BD-09 (Chinese web-map datums) to and from WGS84.
validate
    Lon/lat ring validation with actionable messages (``ValidationIssue``).
area
    Gross and usable (setback, obstacles) areas in m².
plane
    Newell's method on 3D faces → tilt, azimuth (pvlib convention), true area; curtain walls
    and canopies drawn on the map.
geojson
    FeatureCollection in (errors collected per feature) and out (RFC 7946).
cityjson
    CityJSON 1.1/2.0 LoD2 buildings → roof and curtain-wall candidates.
distance
    Centroids and distance matrices in metres for the optimiser.
stock, stock_files
    The building stock a file describes (``Stock``), and ``read_stock_file`` for any building file.
stock_footprints, stock_cityjson
    Its readers: OSM-style GeoJSON/CSV footprints (extruded to prisms), CityJSON LoD1/LoD2 (faces
    classified and coplanar faces merged).
stock_frames
    The metric frame of a building file (UTM for lon/lat, the file's own projected CRS).
shading, shading_scene
    Building shade: sample points on surfaces, their horizons by ray casting through an Embree scene
    of the stock's faces (embreex), and their sky-view factors.
"""
