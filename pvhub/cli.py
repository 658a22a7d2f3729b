"""The ``pvhub`` command line.

Each command owns one transaction: a failure leaves the database as it was.

Each command imports the services it uses in its own body: importing them all here would add a
second or more to every command, ``pvhub --help`` included (pvlib and pandas, alembic, argon2, shapely).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pvhub.core.db import make_engine, transaction
from pvhub.core.enums import Role
from pvhub.core.errors import DomainError
from pvhub.core.settings import Settings, get_settings

app = typer.Typer(
    help="pvhub: run a district's distributed-PV programme.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
weather_app = typer.Typer(
    help="The programme's weather year, on which every estimate is made.", no_args_is_help=True
)
app.add_typer(weather_app, name="weather")


def _settings() -> Settings:
    """The settings, or a one-line error naming what is wrong with the environment."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
        raise _fail(f"bad settings: {problems}") from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Migrate the database (PVHUB_DATABASE_URL) to the latest schema."""
    from pvhub.core import migrate  # alembic: loaded by the schema commands only

    settings = _settings()
    migrate.upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {_display_url(settings.database_url)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. base")]) -> None:
    """Take the schema down to REVISION (destroys data in dropped tables)."""
    from pvhub.core import migrate  # alembic: loaded by the schema commands only

    migrate.downgrade(_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@app.command()
def demo(
    reset: Annotated[bool, typer.Option("--reset", help="Delete all data first and reload the demo")] = False,
) -> None:
    """Load the deterministic demo district of Huangpu (only into an empty database unless --reset)."""
    from pvhub.demo.loader import DEMO_PASSWORD, load_demo  # estimates with pvlib and pandas: ~2 s

    engine = make_engine(_settings().database_url)
    with transaction(engine) as session:
        summary = load_demo(session=session, reset=reset)
    if summary is None:
        typer.echo("the database already holds data; demo not loaded (use --reset to replace it)")
        return
    typer.echo(summary.describe())
    typer.echo(
        f"demo logins (password {DEMO_PASSWORD}): office@demo.pvhub, owner01@demo.pvhub … "
        f"owner{summary.owners:02d}@demo.pvhub, "
        f"supplier01@demo.pvhub … supplier{summary.suppliers:02d}@demo.pvhub"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the web app and the API with uvicorn."""
    _settings()  # fail fast on bad settings, before uvicorn starts
    typer.echo(f"pvhub on http://{host}:{port}")
    uvicorn.run("web.app:create_app", factory=True, host=host, port=port, workers=workers, proxy_headers=True)


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV, GeoJSON FeatureCollection or CityJSON file", exists=True, dir_okay=False, readable=True
        ),
    ],
    org: Annotated[str, typer.Option(help="Owner organisation the sites belong to")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and count only; write nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    crs: Annotated[str | None, typer.Option(help="EPSG code for CityJSON without referenceSystem")] = None,
    datum: Annotated[
        str, typer.Option(help="wgs84, cgcs2000, gcj02 or bd09 (CSV/GeoJSON lon/lat)")
    ] = "wgs84",
    min_area: Annotated[float, typer.Option(help="Skip faces smaller than this, m²", min=0)] = 1.0,
    skip_north_walls: Annotated[bool, typer.Option(help="Skip curtain walls facing north")] = False,
) -> None:
    """Import sites and surfaces, all or nothing; exit 1 and list every problem when any row is bad."""
    # the importers (shapely, the GIS code): loaded by this command only
    from pvhub.accounts import service as accounts
    from pvhub.programme import service as programme_service
    from pvhub.register.imports import service as imports

    engine = make_engine(_settings().database_url)
    try:
        with transaction(engine) as session:
            owner = accounts.get_organisation_by_name(session=session, name=org)
            if owner is None or owner.id is None:
                raise _fail(f"no organisation named {org!r}")
            report = imports.import_file(
                session=session,
                actor=None,
                organisation_id=owner.id,
                filename=file.name,
                content=file.read_bytes(),
                dry_run=dry_run,
                crs=crs,
                datum=datum,
                boundary=programme_service.get_programme(session=session).boundary,
                min_area_m2=min_area,
                skip_north_walls=skip_north_walls,
            )
    except DomainError as exc:
        raise _fail(exc.message) from None
    except DBAPIError as exc:  # the transaction was rolled back: say so in one line, not a traceback
        reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        raise _fail(f"the database refused a row, so nothing was imported: {reason}") from None
    data = report.as_dict()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_import_report(data)
    if not data["ok"]:
        raise typer.Exit(1)


def _print_import_report(data: dict[str, Any]) -> None:
    created = data["created"]
    verb = "would create" if data["dry_run"] else "created"
    kinds = ", ".join(f"{n} {k}" for k, n in created["surfaces"].items() if n)
    if data["ok"]:
        typer.echo(
            f"{verb} {created['sites']} sites and {sum(created['surfaces'].values())} surfaces ({kinds})"
        )
    for skipped in data["skipped"]:
        typer.echo(f"skipped {skipped['index']}: {skipped['reason']}")
    for error in data["errors"]:
        typer.secho(
            f"error at {error['index']}, {error['field']}: {error['message']}", fg=typer.colors.RED, err=True
        )
    if not data["ok"]:
        typer.secho(f"nothing imported: {len(data['errors'])} problems", fg=typer.colors.RED, err=True)


@app.command("estimate")
def estimate_command(
    all_surfaces: Annotated[
        bool, typer.Option("--all", help="Re-estimate every approved surface, not only missing or stale ones")
    ] = False,
) -> None:
    """Estimate approved surfaces with pvlib (capacity kWp, annual and monthly kWh, CO2)."""
    from pvhub.estimates import (
        service as estimates,  # pvlib and pandas: ~2 s, for the commands that estimate only
    )
    from pvhub.survey import surface_shading  # Embree's rays too: for this command only

    engine = make_engine(_settings().database_url)
    with transaction(engine) as session:
        ids = estimates.surfaces_to_estimate(session=session, only_missing_or_stale=not all_surfaces)
        # building shade from the stock first, for the surfaces whose shade is missing or out of date
        summary = surface_shading.shade_and_estimate(session=session, surface_ids=ids)
    typer.echo(
        f"estimated {summary.surfaces} surfaces: {summary.capacity_kwp:,.0f} kWp, "
        f"{summary.annual_kwh / 1000:,.0f} MWh/yr (weather: {summary.weather or '-'}"
        + (f", SHA-256 {summary.weather_sha256[:12]}…)" if summary.weather_sha256 else ")")
    )


@app.command("yield")
def yield_command(
    tilt: Annotated[float, typer.Option(help="Surface tilt, degrees (0 = horizontal, 90 = vertical)")],
    azimuth: Annotated[float, typer.Option(help="Surface azimuth, degrees (pvlib: 0 = N, 90 = E, 180 = S)")],
    kind: Annotated[str, typer.Option(help="roof, curtain_wall, corridor or walkway")] = "roof",
    weather: Annotated[
        Path | None, typer.Option(help="EPW, TMY3 or PVGIS TMY file (default: the embedded year)")
    ] = None,
    losses: Annotated[
        float | None, typer.Option(help="PVWatts system losses, % (replaces the default 14.08)")
    ] = None,
) -> None:
    """Print, as JSON, annual and monthly kWh per kWp for one orientation and what was assumed."""
    from pvhub.yieldengine import orientation_report  # pvlib and pandas: ~2 s, for this command only

    if not 0 <= tilt <= 90:
        raise _fail("--tilt must be between 0 and 90 degrees")
    if not 0 <= azimuth <= 360:
        raise _fail("--azimuth must be between 0 and 360 degrees")
    if losses is not None and not 0 <= losses < 100:
        raise _fail("--losses must be a percentage between 0 and 100")
    try:
        report = orientation_report(tilt, azimuth % 360, kind, str(weather) if weather else None, losses)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))


@app.command("survey")
def survey_command(
    file: Annotated[Path, typer.Argument(help="GeoJSON or CSV footprints, or a CityJSON LoD1/LoD2 file")],
    crs: Annotated[
        str | None, typer.Option("--crs", help="EPSG:N for a file that names no reference system")
    ] = None,
    weather: Annotated[
        Path | None, typer.Option("--weather", help="EPW, TMY3 or PVGIS TMY (default: the embedded year)")
    ] = None,
    no_shading: Annotated[
        bool,
        typer.Option(
            "--no-shading",
            help="Leave building shade out: no rays; shading_loss and sky_view_factor null",
        ),
    ] = False,
    radius: Annotated[
        float,
        typer.Option(
            "--radius", min=1.0, help="How far (m) the rays look for buildings that shade (default: 1,500 m)"
        ),
    ] = 1500.0,
    mismatch: Annotated[
        str,
        typer.Option(
            "--mismatch",
            help="irradiance (the shaded share of the light is lost) or martinez (pvlib's direct_martinez: "
            "partial beam shade costs a string more)",
        ),
    ] = "irradiance",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (progress goes to stderr)")] = False,
) -> None:
    """Screen FILE's PV potential, roofs and facades, without a database: candidates, their building
    shade and their yield."""
    from time import perf_counter  # the JSON says how long the survey took

    # the readers, shapely, pyproj, pvlib and pandas: a few seconds, for this command only
    from gis.stock import StockError
    from gis.stock_files import read_stock_file
    from pvhub.survey import screen
    from pvhub.yieldengine import WeatherError, default_weather, read_weather

    if mismatch not in ("irradiance", "martinez"):
        raise _fail(f"--mismatch must be irradiance or martinez, got {mismatch!r}", 2)
    started = perf_counter()
    try:
        year = read_weather(weather) if weather is not None else default_weather()
        stock = read_stock_file(file, name=file.name, crs=crs)
    except (StockError, WeatherError, OSError, ValueError) as exc:
        raise _fail(str(exc), 2) from None
    if stock.problems:
        for problem in stock.problems[:50]:
            typer.secho(f"{problem.where}, {problem.field}: {problem.message}", fg=typer.colors.RED, err=True)
        raise _fail(f"{len(stock.problems)} problems in {file.name}: nothing surveyed", 2)

    def progress(share: float, text: object) -> None:  # a Phrase: shown in English
        typer.echo(f"[{share:4.0%}] {text}", err=True)

    result = screen.survey(
        stock,
        weather=year,
        progress=progress,
        shading=not no_shading,
        radius_m=radius,
        mismatch="martinez" if mismatch == "martinez" else "irradiance",
    )
    wall_s = perf_counter() - started
    if as_json:
        typer.echo(json.dumps(screen.survey_json(result, weather=year, wall_s=wall_s), ensure_ascii=False))
        return
    _print_survey_summary(screen.totals(result), result, year.label, wall_s)


def _print_survey_summary(totals: dict[str, Any], result: Any, weather: str, wall_s: float) -> None:
    by_kind = ", ".join(f"{kind} {row['count']:,}" for kind, row in totals["by_kind"].items())
    typer.echo(f"buildings: {result.buildings:,}")
    typer.echo(f"candidates: {len(result.candidates):,} ({by_kind})")
    typer.echo(
        f"potential: {totals['kwp'] / 1000:,.2f} MWp, {totals['annual_mwh'] / 1000:,.2f} GWh a year "
        f"(roofs {totals['by_kind']['roof']['kwp'] / 1000:,.2f} MWp, "
        f"facades {totals['by_kind']['curtain_wall']['kwp'] / 1000:,.2f} MWp); weather: {weather}"
    )
    typer.echo(f"skipped: {len(result.skipped):,}; building shade: {_shade_summary(result)}; {wall_s:.1f} s")
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW)


def _shade_summary(result: Any) -> str:
    """One clause on the survey's building shade: the mean loss over the candidates' energy, or none."""
    shading = result.provenance.get("shading")
    if not isinstance(shading, dict):
        return "left out (--no-shading)"
    unshaded = sum(s.kwp * s.kwh_per_kwp_unshaded for s in result.candidates)
    shaded = sum(s.annual_kwh for s in result.candidates)
    lost = 1.0 - shaded / unshaded if unshaded > 0 else 0.0
    return (
        f"{lost:.1%} of the candidates' energy ({shading['points']:,} sample points, "
        f"rays to {shading['radius_m']:,.0f} m, {shading['mismatch']})"
    )


@app.command("export-all")
def export_all_command(
    file: Annotated[
        Path, typer.Argument(help="Backup file to write (JSON Lines; .gz compresses)", dir_okay=False)
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists")] = False,
) -> None:
    """Back up the whole database to FILE. It holds sealed bids and personal data: keep it safe."""
    from pvhub import backup  # loaded by the backup commands only

    engine = make_engine(_settings().database_url)
    try:
        counts = backup.export_all(engine, file, overwrite=force)
    except DomainError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"exported {sum(counts.values())} rows of {len(counts)} tables to {file}")
    typer.secho(
        "this file contains sealed bids and personal data: store it encrypted and access-controlled",
        fg=typer.colors.YELLOW,
        err=True,
    )


@app.command("import-all")
def import_all_command(
    file: Annotated[Path, typer.Argument(help="A file written by pvhub export-all", dir_okay=False)],
) -> None:
    """Restore FILE into an empty database migrated with `pvhub db upgrade`, all or nothing."""
    from pvhub import backup  # loaded by the backup commands only

    engine = make_engine(_settings().database_url)
    try:
        counts = backup.import_all(engine, file)
    except DomainError as exc:
        raise _fail(f"{exc.message}") from None
    typer.echo(f"imported {sum(counts.values())} rows of {len(counts)} tables from {file}")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="Login e-mail")],
    role: Annotated[Role, typer.Option(help="office, owner or supplier")],
    org: Annotated[str, typer.Option(help="Organisation name (created when missing, with the role as kind)")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Add a user. Without --password-stdin a password is generated and printed once."""
    # argon2 and the accounts service: loaded by the commands that need them only
    from pvhub.accounts import service as accounts
    from pvhub.core.security import generate_password

    generated = not password_stdin
    password = generate_password() if generated else sys.stdin.readline().rstrip("\r\n")
    engine = make_engine(_settings().database_url)
    try:
        with transaction(engine) as session:
            if accounts.get_organisation_by_name(session=session, name=org) is None:
                accounts.create_organisation(session=session, actor=None, name=org, kind=role)
            user = accounts.create_user(
                session=session, actor=None, email=email, role=role, organisation=org, password=password
            )
    except DomainError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"user {user.email} ({role.value}, {org}) created")
    if generated:
        typer.echo(f"password: {password}  (shown once; store it now)")


@weather_app.command("set")
def weather_set(
    file: Annotated[Path, typer.Argument(help="EPW, TMY3 CSV, or PVGIS TMY (JSON, CSV or EPW)")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm a file recorded over 100 km away")] = False,
) -> None:
    """Set the programme's weather year from FILE. Estimates are not re-run: see `pvhub estimate --all`."""
    from pvhub.estimates import service as estimates  # pvlib and pandas: ~2 s, for these commands only
    from pvhub.weather import service as weather  # (as above)

    try:
        content = file.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}", 2) from None
    engine = make_engine(_settings().database_url)
    try:
        with transaction(engine) as session:
            dataset = weather.set_programme_weather(
                session=session, actor=None, filename=file.name, content=content, confirm_far=yes
            )
            out_of_date = estimates.out_of_date_count(session=session)
    except weather.FarLocation as exc:
        raise _fail(f"{exc.message} Pass --yes to confirm.", 2) from None
    except DomainError as exc:
        raise _fail(exc.message, 2) from None
    distance = "-" if dataset.distance_km is None else f"{dataset.distance_km:,.1f} km"
    typer.echo(f"weather year set: {dataset.name} ({dataset.label})")
    typer.echo(f"SHA-256: {dataset.sha256}")
    typer.echo(f"location: {_lat_lon(dataset.latitude, dataset.longitude)}; {distance} from the programme")
    typer.echo(
        f"Estimates are not re-run: {out_of_date} estimates are now out of date; run `pvhub estimate --all`."
    )


@weather_app.command("show")
def weather_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Print the programme's weather year: name, SHA-256, source, location, when it was set."""
    from pvhub.weather import service as weather  # pvlib and pandas: ~2 s, for these commands only

    engine = make_engine(_settings().database_url)
    with transaction(engine) as session:
        summary = weather.current_summary(session=session)
    if as_json:
        typer.echo(json.dumps(asdict(summary), default=str, ensure_ascii=False, indent=2))
        return
    name = "embedded synthetic year (default; no weather year set)" if summary.synthetic else summary.name
    typer.echo(f"weather year: {name}")
    typer.echo(f"label: {summary.label}")
    typer.echo(f"SHA-256: {summary.sha256}")
    typer.echo(f"source: {summary.source}")
    typer.echo(f"location: {_lat_lon(summary.latitude, summary.longitude)}")
    if summary.set_at is not None:
        typer.echo(f"set at: {summary.set_at.isoformat()} by {summary.set_by or 'the command line'}")


def _lat_lon(lat: float, lon: float) -> str:
    """``31.2317 N, 121.4846 E``: the hemisphere as a letter, not a sign an operator may miss."""
    return f"{abs(lat):.4f} {'N' if lat >= 0 else 'S'}, {abs(lon):.4f} {'E' if lon >= 0 else 'W'}"


def _display_url(url: str) -> str:
    """The URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()


buildings_app = typer.Typer(
    help="The district's building stock (the survey starts from it).", no_args_is_help=True
)
app.add_typer(buildings_app, name="buildings")


@buildings_app.command("import")
def buildings_import(
    file: Annotated[Path, typer.Argument(help="GeoJSON or CSV footprints, or a CityJSON LoD1/LoD2 file")],
    crs: Annotated[
        str | None, typer.Option(help="EPSG:N for a CityJSON file without referenceSystem")
    ] = None,
    datum: Annotated[str, typer.Option(help="wgs84, cgcs2000, gcj02 or bd09 (lon/lat footprints)")] = "wgs84",
) -> None:
    """Import FILE into the building stock, all or nothing: exit 2 with every problem, nothing written."""
    from pvhub.survey import stock  # shapely, pyproj and the readers: for this command only

    try:
        content = file.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}", 2) from None
    engine = make_engine(_settings().database_url)
    try:
        with transaction(engine) as session:
            report = stock.import_stock(
                session=session, actor=None, filename=file.name, content=content, crs=crs, datum=datum
            )
            if not report.ok:  # nothing written: leave the transaction empty
                session.rollback()
    except DomainError as exc:
        raise _fail(exc.message, 2) from None
    if not report.ok:
        for problem in report.problems:
            typer.secho(f"{problem.where}, {problem.field}: {problem.message}", fg=typer.colors.RED, err=True)
        raise _fail(f"nothing imported: {len(report.problems)} problems in {file.name}", 2)
    typer.echo(
        f"imported {report.buildings} buildings from {file.name} ({report.source_format}, {report.crs}): "
        f"{report.created} new, {report.updated} updated, {report.neighbours} outside the district, "
        f"{sum(report.without_shape.values())} without a 3D shape, {sum(report.skipped.values())} objects "
        f"skipped; {report.linked} site links added"
    )
