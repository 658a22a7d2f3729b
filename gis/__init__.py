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
"""
