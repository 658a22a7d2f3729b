"""Importing sites and surfaces from CSV, GeoJSON and CityJSON files, in the request or as a job."""
