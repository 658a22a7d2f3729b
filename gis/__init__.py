"""Pure geometry for pvhub: CRS transforms, areas, setbacks, 3D planes, GeoJSON/CityJSON parsing.

No database and no web framework here: plain data in, plain data out.
"""
