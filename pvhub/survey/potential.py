"""The district's potential (the solar cadastre): buildings ranked by what their candidates could carry.

Candidates are summed per building in SQL (filters on the candidates — kind, orientation, minimum
specific yield — apply before the sum); the building's filters (subdistrict, owner status) and the
ranking follow. The office sees everything; the public version (``public=True``) carries no owner,
offer, name or address: a building is its id, use, height, subdistrict and figures.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from pvhub.core.errors import InvalidInput, NotFound
from pvhub.survey.models import Building, BuildingOffer, SurveyCandidate
from pvhub.survey.offers import building_state

#: Orientation sectors of a candidate (pvlib azimuth, degrees, half-open [lo, hi)); "flat" is tilt < 10°.
SECTORS: dict[str, tuple[float, float]] = {
    "N": (337.5, 22.5),
    "NE": (22.5, 67.5),
    "E": (67.5, 112.5),
    "SE": (112.5, 157.5),
    "S": (157.5, 202.5),
    "SW": (202.5, 247.5),
    "W": (247.5, 292.5),
    "NW": (292.5, 337.5),
}
FLAT_TILT_DEG = 10.0
KINDS = ("roof", "curtain_wall", "corridor", "walkway")
OWNER_STATES = ("unclaimed", "offered", "owned")
SORTS = ("kwp", "annual_mwh", "kwh_per_kwp")
PAGE_SIZE = 50


@dataclass(frozen=True)
class PotentialFilters:
    """What the map and the table show (None: no filter)."""

    kind: str | None = None
    subdistrict: str | None = None
    orientation: str | None = None
    min_kwh_per_kwp: float | None = None
    owner_status: str | None = None
    sort: str = "kwp"

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("kind", self.kind, KINDS),
            ("orientation", self.orientation, (*SECTORS, "flat")),
            ("owner_status", self.owner_status, OWNER_STATES),
            ("sort", self.sort, SORTS),
        ):
            if value is not None and value not in allowed:
                raise InvalidInput(
                    "{field}: {value!r} is not one of {allowed}.",
                    field=name,
                    value=value,
                    allowed=list(allowed),
                )
        if self.min_kwh_per_kwp is not None and not (0 <= self.min_kwh_per_kwp <= 3000):
            raise InvalidInput("{field} must lie between 0 and 3000 kWh/kWp.", field="min_kwh_per_kwp")


@dataclass
class BuildingPotential:
    """One building's summed candidates."""

    building_id: int
    source_id: str
    subdistrict: str
    use: str
    height_m: float | None
    lon: float
    lat: float
    candidates: int
    kwp: float
    annual_mwh: float
    kwh_per_kwp: float
    roof_kwp: float
    facade_kwp: float
    owner_status: str | None = None
    name: str | None = None
    address: str | None = None
    #: Share of the annual energy its candidates lose to building shade (weighted by their unshaded
    #: energy), over the candidates whose shade is computed; None when none is (issue #19's map layer).
    shading_loss: float | None = None

    def public_copy(self) -> BuildingPotential:
        """This building without what the public may not see (owner status, name, address)."""
        return BuildingPotential(**{**self.__dict__, "owner_status": None, "name": None, "address": None})


@dataclass
class PotentialPage:
    """A page of ranked buildings and the totals of everything the filters keep."""

    items: list[BuildingPotential]
    total: int
    page: int
    pages: int
    kwp: float
    annual_mwh: float
    roof_kwp: float
    facade_kwp: float
    other_kwp: float
    by_kind: dict[str, float] = field(default_factory=dict)


def _candidate_filter(filters: PotentialFilters) -> list[Any]:
    where: list[Any] = []
    if filters.kind:
        where.append(col(SurveyCandidate.kind) == filters.kind)
    if filters.min_kwh_per_kwp is not None:
        where.append(col(SurveyCandidate.kwh_per_kwp) >= filters.min_kwh_per_kwp)
    if filters.orientation == "flat":
        where.append(col(SurveyCandidate.tilt_deg) < FLAT_TILT_DEG)
    elif filters.orientation:
        lo, hi = SECTORS[filters.orientation]
        az = col(SurveyCandidate.azimuth_deg)
        where.append(col(SurveyCandidate.tilt_deg) >= FLAT_TILT_DEG)
        where.append(sa.or_(az >= lo, az < hi) if lo > hi else sa.and_(az >= lo, az < hi))
    return where


def _summed(session: Session, filters: PotentialFilters) -> list[BuildingPotential]:
    """Every building with a kept candidate, summed, ranked by the filters' sort."""
    c, b = SurveyCandidate, Building
    roof = func.sum(sa.case((col(c.kind) == "roof", c.kwp), else_=0.0))
    facade = func.sum(sa.case((col(c.kind) == "curtain_wall", c.kwp), else_=0.0))
    shaded = col(c.shading_loss).is_not(None)
    unshaded_kwh = col(c.kwp) * col(c.kwh_per_kwp_unshaded)
    lost_kwh = func.sum(sa.case((shaded, col(c.shading_loss) * unshaded_kwh), else_=0.0))
    shade_weight = func.sum(sa.case((shaded, unshaded_kwh), else_=0.0))
    columns: tuple[Any, ...] = (
        b.id,
        b.source_id,
        b.subdistrict,
        b.use,
        b.height_m,
        b.lon,
        b.lat,
        b.name,
        b.address,
    )
    query = (
        sa.select(
            *(col(x) for x in columns),
            func.count(col(c.id)),
            func.sum(c.kwp),
            func.sum(c.annual_kwh),
            roof,
            facade,
            lost_kwh,
            shade_weight,
            func.avg(c.shading_loss),
        )
        .join(c, col(c.building_id) == col(b.id))
        .where(*_candidate_filter(filters))
        .group_by(*(col(x) for x in columns))
    )
    if filters.subdistrict:
        query = query.where(col(b.subdistrict) == filters.subdistrict)
    rows = session.connection().execute(query).all()  # more columns than sqlmodel's select types
    states = building_state(session, [int(r[0]) for r in rows])
    out = []
    for (
        bid,
        source_id,
        subdistrict,
        use,
        height,
        lon,
        lat,
        name,
        address,
        n,
        kwp,
        kwh,
        roof_kwp,
        facade_kwp,
        lost,
        weight,
        mean_loss,
    ) in rows:
        kwp, kwh = float(kwp or 0.0), float(kwh or 0.0)
        out.append(
            BuildingPotential(
                building_id=int(bid),
                source_id=source_id,
                subdistrict=subdistrict,
                use=use,
                height_m=height,
                lon=lon,
                lat=lat,
                candidates=int(n),
                kwp=round(kwp, 2),
                annual_mwh=round(kwh / 1000, 2),
                kwh_per_kwp=round(kwh / kwp, 1) if kwp > 0 else 0.0,
                roof_kwp=round(float(roof_kwp or 0.0), 2),
                facade_kwp=round(float(facade_kwp or 0.0), 2),
                owner_status=states.get(int(bid), "unclaimed"),
                name=name,
                address=address,
                shading_loss=_shading_loss(lost, weight, mean_loss),
            )
        )
    if filters.owner_status:
        out = [p for p in out if p.owner_status == filters.owner_status]
    out.sort(key=lambda p: (-getattr(p, filters.sort), p.building_id))
    return out


def _shading_loss(lost_kwh: Any, weight_kwh: Any, mean_loss: Any) -> float | None:
    """A building's share of energy lost to building shade; the plain mean where no candidate has
    energy to weigh by; None when no candidate's shade is computed."""
    if mean_loss is None:
        return None
    if weight_kwh and float(weight_kwh) > 0:
        return round(float(lost_kwh) / float(weight_kwh), 4)
    return round(float(mean_loss), 4)


def potential(
    *,
    session: Session,
    filters: PotentialFilters,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    public: bool = False,
) -> PotentialPage:
    """One page of buildings ranked by potential, with the totals of all the filters keep."""
    if page < 1:
        raise InvalidInput("{field} starts at 1.", field="page")
    ranked = _summed(session, filters)
    pages = max(1, math.ceil(len(ranked) / page_size))
    items = ranked[(page - 1) * page_size : page * page_size]
    kwp = sum(b.kwp for b in ranked)
    roof = sum(b.roof_kwp for b in ranked)
    facade = sum(b.facade_kwp for b in ranked)
    return PotentialPage(
        items=[b.public_copy() for b in items] if public else items,
        total=len(ranked),
        page=page,
        pages=pages,
        kwp=round(kwp, 1),
        annual_mwh=round(sum(b.annual_mwh for b in ranked), 1),
        roof_kwp=round(roof, 1),
        facade_kwp=round(facade, 1),
        other_kwp=round(kwp - roof - facade, 1),
    )


def map_features(*, session: Session, filters: PotentialFilters, public: bool = False) -> dict[str, Any]:
    """Every kept building as a GeoJSON FeatureCollection (RFC 7946, WGS84) with its potential.

    The same document is the map's data and the GeoJSON export (QGIS reads it as is).
    """
    ranked = _summed(session, filters)
    footprints = _footprints(session, [b.building_id for b in ranked])
    features = []
    for b in ranked:
        shown = b.public_copy() if public else b
        props = {
            k: v
            for k, v in shown.__dict__.items()
            if not (public and k in ("owner_status", "name", "address"))
        }
        geometry = footprints.get(b.building_id) or {"type": "Point", "coordinates": [b.lon, b.lat]}
        features.append({"type": "Feature", "id": b.building_id, "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def _footprints(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for bid, footprint in session.exec(
            select(Building.id, Building.footprint).where(col(Building.id).in_(chunk))
        ).all():
            if bid is not None and footprint:
                out[bid] = dict(footprint)
    return out


CSV_COLUMNS = (
    "building_id", "source_id", "subdistrict", "candidate_id", "key", "kind", "storey", "band_bottom_m",
    "band_top_m", "z_m", "tilt_deg", "azimuth_deg", "gross_area_m2", "usable_area_m2", "kwp", "annual_kwh",
    "kwh_per_kwp", "lon", "lat", "status",
)  # fmt: skip


def candidates_csv(*, session: Session, filters: PotentialFilters, public: bool = False) -> str:
    """The kept candidates as CSV, one row each (the public version leaves out their status)."""
    columns = [c for c in CSV_COLUMNS if not (public and c == "status")]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    query = (
        select(SurveyCandidate, Building.source_id, Building.subdistrict)
        .join(Building, col(Building.id) == col(SurveyCandidate.building_id))
        .where(*_candidate_filter(filters))
        .order_by(col(SurveyCandidate.building_id), col(SurveyCandidate.key))
    )
    if filters.subdistrict:
        query = query.where(col(Building.subdistrict) == filters.subdistrict)
    wanted = None
    if filters.owner_status:
        wanted = {b.building_id for b in _summed(session, filters)}
    for c, source_id, subdistrict in session.exec(query).all():
        if wanted is not None and c.building_id not in wanted:
            continue
        values: dict[str, Any] = {
            **c.model_dump(),
            "candidate_id": c.id,
            "source_id": source_id,
            "subdistrict": subdistrict,
        }
        values["status"] = str(c.status)
        writer.writerow([_cell(values.get(name)) for name in columns])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


@dataclass
class BuildingDetail:
    """A building's drill-down: its candidates, what was skipped and why, its owner status and offers."""

    building: Building
    candidates: list[SurveyCandidate]
    skipped: list[dict[str, Any]]
    owner_status: str | None
    offers: list[BuildingOffer]
    kwp: float
    annual_mwh: float


def building_detail(*, session: Session, building_id: int, public: bool = False) -> BuildingDetail:
    """One building's candidates (by kind and height), skipped parts with reasons, owner status."""
    building = session.get(Building, building_id)
    if building is None:
        raise NotFound("No building with id {building_id}.", building_id=building_id)
    candidates = list(
        session.exec(
            select(SurveyCandidate)
            .where(SurveyCandidate.building_id == building_id)
            .order_by(col(SurveyCandidate.kind), col(SurveyCandidate.z_m).desc(), col(SurveyCandidate.key))
        ).all()
    )
    offers = (
        []
        if public
        else list(
            session.exec(
                select(BuildingOffer)
                .where(BuildingOffer.building_id == building_id)
                .order_by(col(BuildingOffer.id))
            ).all()
        )
    )
    kwp = sum(c.kwp for c in candidates)
    return BuildingDetail(
        building=building,
        candidates=candidates,
        skipped=list(building.survey_skipped or []),
        owner_status=None if public else building_state(session, [building_id])[building_id],
        offers=offers,
        kwp=round(kwp, 2),
        annual_mwh=round(sum(c.annual_kwh for c in candidates) / 1000, 2),
    )


def subdistricts(*, session: Session) -> list[str]:
    """The subdistricts the stock's buildings lie in (for the filter)."""
    rows = session.exec(select(Building.subdistrict).where(col(Building.subdistrict) != "").distinct()).all()
    return sorted(rows)
