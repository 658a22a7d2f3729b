"""Bulk import of sites and surfaces from CSV, GeoJSON and CityJSON files.

:func:`import_file` detects the format, reads and validates everything, and writes only when the
whole file is good (all-or-nothing). The readers live in ``imports_csv`` (the documented columns),
``imports_geojson`` and ``imports_cityjson``; ``imports_rows`` holds the shared field validation.

Format detection: ``.csv`` → CSV; ``.geojson``/``.json``/``.city.json``/``.cityjson`` → JSON, then
``"type": "CityJSON"`` or ``"type": "FeatureCollection"`` decides. A file with another extension
is sniffed the same way (JSON if it parses, else CSV).

The report (:meth:`ImportReport.as_dict`) indexes errors by CSV line number (header = line 1),
0-based GeoJSON feature index or CityJSON object id; a problem of the whole file has index
``null``. Surfaces smaller than ``min_area_m2`` and, with ``skip_north_walls``, curtain walls
facing within 45° of north are skipped and listed, in every format. Every site is checked against
the programme ``boundary`` when one is given.

Problems and skips are English templates with their values (:class:`~.imports_rows.Problem`,
:class:`~.imports_rows.Skip`): the report's JSON holds the English ``message`` and ``reason``; the
import page says them in the reader's language (``web.import_report``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pydantic import ValidationError
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert
from sqlmodel import Session, col

from gis.chinese_crs import Datum, to_wgs84
from pvhub.accounts.models import Organisation, User
from pvhub.core import audit, policy, validation_problems
from pvhub.core.columns import utcnow
from pvhub.core.enums import Role
from pvhub.core.errors import InvalidInput, NotFound, Phrase
from pvhub.core.text import surrogate_path
from pvhub.jobs.progress import ProgressFn
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.geometry import SURFACE_REACH_M, surface_distance_m
from pvhub.register.imports.cityjson_format import read_cityjson
from pvhub.register.imports.csv_format import read_csv
from pvhub.register.imports.geojson_format import read_geojson
from pvhub.register.imports.rows import Index, Parsed, Problem, SiteDraft, Skip, SurfaceDraft, is_north_facing
from pvhub.register.models import Site, SiteBase, Surface, SurfaceBase

Format = Literal["csv", "geojson", "cityjson"]
DATUMS: tuple[Datum, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")
_JSON_SUFFIXES = (".geojson", ".json", ".cityjson")


@dataclass
class ImportReport:
    """Outcome of an import; ``created`` counts what was (or, in a dry run, would be) created."""

    ok: bool
    dry_run: bool
    format: Format | None = None
    sites: int = 0
    surfaces: Counter[SurfaceKind] = field(default_factory=Counter)
    skipped: list[Skip] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON (API and ``pvhub import --json``)."""
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "created": {
                "sites": self.sites,
                "surfaces": {kind.value: self.surfaces.get(kind, 0) for kind in SurfaceKind},
            },
            "skipped": [{"index": s.index, "reason": s.reason} for s in self.skipped],
            "errors": [{"index": e.index, "field": e.field, "message": e.message} for e in self.errors],
        }


def _no_progress(_fraction: float, _message: str | Phrase) -> None:
    return None


def import_file(
    *,
    session: Session,
    actor: User | None,
    organisation_id: int,
    filename: str,
    content: bytes,
    dry_run: bool,
    crs: str | None = None,
    datum: str = "wgs84",
    boundary: dict[str, Any] | None = None,
    min_area_m2: float = 1.0,
    skip_north_walls: bool = False,
    progress: ProgressFn = _no_progress,
) -> ImportReport:
    """Import the sites and surfaces of a file for one organisation, all or nothing.

    Parameters
    ----------
    filename, content
        The uploaded file's name (for format detection and the audit log) and bytes.
    dry_run
        Validate and count only; nothing is written.
    crs
        EPSG code of a CityJSON file without ``referenceSystem`` (e.g. ``"EPSG:7415"``).
    datum
        Datum of CSV/GeoJSON lon/lat: ``wgs84``, ``cgcs2000``, ``gcj02`` or ``bd09``.
    boundary
        GeoJSON Polygon/MultiPolygon (WGS84) every site must lie within, or ``None``.
    min_area_m2
        Surfaces with a smaller gross area are skipped, m².
    skip_north_walls
        Skip curtain walls facing north.
    progress
        Told the step before the rows are written (not in a dry run nor when the file has errors);
        a background import reports it on its job (:mod:`pvhub.register.imports.jobs`) and may stop
        there by raising.

    Rows are added to ``session`` and flushed; the caller commits (or rolls back).
    """
    check_request(
        session=session,
        actor=actor,
        organisation_id=organisation_id,
        filename=filename,
        datum=datum,
        min_area_m2=min_area_m2,
    )
    area = _boundary(boundary)
    fmt, parsed = _read(filename, content, cast(Datum, datum), area, crs, min_area_m2, skip_north_walls)
    _finish(
        parsed, cast(Datum, datum) if fmt != "cityjson" else "wgs84", area, fmt, min_area_m2, skip_north_walls
    )
    report = ImportReport(ok=not parsed.errors, dry_run=dry_run, format=fmt, skipped=parsed.skipped)
    report.errors = parsed.errors
    if parsed.errors:
        return report
    report.sites = len(parsed.sites)
    report.surfaces = Counter(s.kind for site in parsed.sites for s in site.surfaces)
    if not dry_run:
        progress(
            0.8,
            Phrase(
                "storing {sites} sites and {surfaces} surfaces",
                sites=report.sites,
                surfaces=sum(report.surfaces.values()),
            ),
        )
        _write(session, actor, organisation_id, parsed.sites)
        audit.record(
            session,
            actor=actor,
            entity="import",
            entity_id=filename[:50],
            action="import",
            after={
                "filename": filename,
                "format": fmt,
                "sites": report.sites,
                "surfaces": report.as_dict()["created"]["surfaces"],
            },
        )
        session.flush()
    return report


def check_request(
    *,
    session: Session,
    actor: User | None,
    organisation_id: int,
    filename: str,
    datum: str,
    min_area_m2: float,
) -> None:
    """The refusals of :func:`import_file` that do not need the file's content: who may import for
    whom, the file's name (the audit log keeps it), the datum and the minimum area. A background
    import checks them before it stores anything."""
    _authorise(session, actor, organisation_id)
    if "\x00" in filename:
        raise InvalidInput("{field} must not contain a NUL character.", field="filename")
    if datum not in DATUMS:
        raise InvalidInput(
            "unknown datum {datum!r}: use one of {datums}", datum=datum, datums=list(DATUMS), field="datum"
        )
    if min_area_m2 < 0:
        raise InvalidInput("min_area_m2 must be >= 0", field="min_area_m2")


def _authorise(session: Session, actor: User | None, organisation_id: int) -> None:
    """Owners import into their own organisation; the office into any owner's; ``None`` is the CLI."""
    if actor is not None and actor.role != Role.owner:
        policy.require(actor, "site:create_for_others")
    org = session.get(Organisation, organisation_id)
    if org is None or (actor is not None and actor.role == Role.owner and org.id != actor.organisation_id):
        raise NotFound("No organisation with id {organisation_id}.", organisation_id=organisation_id)
    if org.kind != Role.owner:
        raise InvalidInput(
            "{name!r} is not an owner organisation; sites belong to owners.",
            name=org.name,
            field="organisation_id",
        )


def detect_format(filename: str, content: bytes) -> tuple[Format | None, Any]:
    """Return the format and, for JSON formats, the parsed document (``None`` if unrecognised)."""
    name = filename.lower()
    if name.endswith(".csv"):
        return "csv", None
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return (None, None) if name.endswith(_JSON_SUFFIXES) else ("csv", None)
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "CityJSON":
        return "cityjson", doc
    if kind == "FeatureCollection":
        return "geojson", doc
    return None, doc


def _read(
    filename: str,
    content: bytes,
    datum: Datum,
    boundary: BaseGeometry | None,
    crs: str | None,
    min_area_m2: float,
    skip_north_walls: bool,
) -> tuple[Format | None, Parsed]:
    try:
        return _read_format(filename, content, datum, boundary, crs, min_area_m2, skip_north_walls)
    except RecursionError:  # a hostile or broken file of lists within lists, thousands deep
        return None, Parsed(
            errors=[Problem(None, "file", "the file's structure is nested too deeply to read")]
        )


def _read_format(
    filename: str,
    content: bytes,
    datum: Datum,
    boundary: BaseGeometry | None,
    crs: str | None,
    min_area_m2: float,
    skip_north_walls: bool,
) -> tuple[Format | None, Parsed]:
    fmt, doc = detect_format(filename, content)
    path = surrogate_path(doc) if doc is not None else None
    if path is not None:  # "\ud800" in a JSON string: no text can hold it (see pvhub.core.text)
        return fmt, Parsed(
            errors=[
                Problem(
                    None,
                    "file",
                    "the text at {path} holds a lone UTF-16 surrogate (\\ud800–\\udfff), "
                    "which is not a character",
                    path=path or "(the document)",
                )
            ]
        )
    if fmt == "csv":
        return fmt, read_csv(content)
    if fmt == "geojson":
        return fmt, read_geojson(doc, datum=datum, boundary=boundary)
    if fmt == "cityjson":
        return fmt, read_cityjson(doc, crs=crs, min_area_m2=min_area_m2, skip_north_walls=skip_north_walls)
    problem = (
        Problem(
            None,
            "file",
            'unrecognised file: expected CSV, a GeoJSON "FeatureCollection" or a "CityJSON" document',
        )
        if doc is not None
        else Problem(None, "file", "the file is not valid JSON (UTF-8) nor a .csv file")
    )
    return None, Parsed(errors=[problem])


def _boundary(raw: dict[str, Any] | None) -> BaseGeometry | None:
    if raw is None:
        return None
    try:
        area = shape(raw)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidInput(
            "the programme boundary is not a GeoJSON polygon: {problem}", problem=str(exc), field="boundary"
        ) from exc
    if area.geom_type not in ("Polygon", "MultiPolygon") or area.is_empty:
        raise InvalidInput(
            "the programme boundary must be a GeoJSON Polygon or MultiPolygon", field="boundary"
        )
    return area


def _finish(
    parsed: Parsed,
    datum: Datum,
    boundary: BaseGeometry | None,
    fmt: Format | None,
    min_area_m2: float,
    skip_north_walls: bool,
) -> None:
    """Common last steps: site datum, boundary, skip rules, and the models' own field limits."""
    for site in parsed.sites:
        if fmt == "csv" and site.lon is not None and site.lat is not None:
            lon, lat = to_wgs84(site.lon, site.lat, datum)
            site.lon, site.lat = float(lon), float(lat)
        located = site.lon is not None and site.lat is not None
        if (
            fmt != "geojson"
            and boundary is not None
            and located
            and not boundary.covers(Point(site.lon, site.lat))
        ):
            parsed.errors.append(
                Problem(
                    site.index,
                    "lon",
                    "outside_boundary: site {name!r} at lon {lon:.6f}, lat {lat:.6f} lies outside the "
                    "programme boundary: check the coordinates and their datum",
                    name=site.name,
                    lon=site.lon,
                    lat=site.lat,
                )
            )
        if located:
            _check_reach(site, parsed)
        if fmt != "cityjson":  # the CityJSON parser applies these rules per face itself
            _apply_skips(site, parsed, min_area_m2, skip_north_walls)
        _check_models(site, parsed)
    parsed.sites = [s for s in parsed.sites if s.surfaces]


def _check_reach(site: SiteDraft, parsed: Parsed) -> None:
    """Each drawn surface within ``SURFACE_REACH_M`` of its site, as for one entered by form."""
    assert site.lon is not None and site.lat is not None
    for surface in site.surfaces:
        if surface.geometry is None:
            continue
        distance = surface_distance_m(surface.geometry, site.lon, site.lat)
        if distance > SURFACE_REACH_M:
            parsed.errors.append(
                Problem(
                    surface.index,
                    "geometry",
                    "the surface lies {distance:,.0f} m from site {name!r} at lon {lon:.6f}, lat {lat:.6f} "
                    "(at most {reach:,.0f} m): check the coordinates and the site name",
                    distance=distance,
                    name=site.name,
                    lon=site.lon,
                    lat=site.lat,
                    reach=SURFACE_REACH_M,
                )
            )


def _apply_skips(site: SiteDraft, parsed: Parsed, min_area_m2: float, skip_north_walls: bool) -> None:
    kept = []
    for surface in site.surfaces:
        if surface.gross_area_m2 < min_area_m2:
            parsed.skipped.append(
                Skip(
                    surface.index,
                    "area {area:g} m² below {minimum:g} m²",
                    area=surface.gross_area_m2,
                    minimum=min_area_m2,
                )
            )
        elif (
            skip_north_walls
            and surface.kind == SurfaceKind.curtain_wall
            and is_north_facing(surface.azimuth_deg)
        ):
            parsed.skipped.append(Skip(surface.index, "north-facing wall"))
        else:
            kept.append(surface)
    if site.surfaces and not kept:
        parsed.skipped.append(
            Skip(site.index, "site {name!r} has no surface left to register", name=site.name)
        )
    site.surfaces = kept


def _check_models(site: SiteDraft, parsed: Parsed) -> None:
    """Validate against the models' declared limits: the last guard before writing."""
    try:
        SiteBase.model_validate(_site_values(site))
    except ValidationError as exc:
        parsed.errors.extend(_problems(site.index, exc))
    for surface in site.surfaces:
        try:
            SurfaceBase.model_validate(_surface_values(surface))
        except ValidationError as exc:
            parsed.errors.extend(_problems(surface.index, exc))


def _problems(index: Index, exc: ValidationError) -> list[Problem]:
    """pydantic's English ``msg`` for the API and the CLI; the phrase of its error type for pages."""
    out = []
    for error in exc.errors():
        found = validation_problems.problem(error)
        field = ".".join(str(p) for p in error["loc"]) or "row"
        out.append(Problem.said(index, field, error["msg"], found if isinstance(found, Phrase) else None))
    return out


def _site_values(site: SiteDraft) -> dict[str, Any]:
    return {
        "name": site.name,
        "address": site.address,
        "subdistrict": site.subdistrict,
        "use": site.use,
        "height_m": site.height_m,
        "lon": site.lon,
        "lat": site.lat,
    }


def _surface_values(surface: SurfaceDraft) -> dict[str, Any]:
    return {
        "kind": surface.kind,
        "name": surface.name,
        "tilt_deg": surface.tilt_deg,
        "azimuth_deg": surface.azimuth_deg,
        "gross_area_m2": surface.gross_area_m2,
        "usable_area_m2": surface.usable_area_m2,
        "shading_loss": surface.shading_loss,
        "shading_manual": surface.shading_manual,
        "height_m": surface.height_m,
        "storey": surface.storey,
    }


def _write(session: Session, actor: User | None, organisation_id: int, sites: list[SiteDraft]) -> None:
    """Bulk-insert sites, then their surfaces (status draft), in the caller's transaction."""
    now = utcnow()
    site_rows = [
        {
            **_site_values(s),
            "organisation_id": organisation_id,
            "external_ref": s.external_ref,
            "created_at": now,
            "updated_at": now,
        }
        for s in sites
    ]
    ids = list(session.scalars(insert(Site).returning(col(Site.id), sort_by_parameter_order=True), site_rows))
    surface_rows = [
        {
            **_surface_values(surface),
            "site_id": site_id,
            "geometry": surface.geometry,
            "external_ref": surface.external_ref,
            "status": SurfaceStatus.draft,
            "created_at": now,
            "updated_at": now,
        }
        for site, site_id in zip(sites, ids, strict=True)
        for surface in site.surfaces
    ]
    if surface_rows:
        session.execute(insert(Surface), surface_rows)
