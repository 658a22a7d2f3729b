"""Building blocks for tests of construction and monitoring: estimated sites and confirmed awards.

They write rows directly (as the demo loader does) so a test can set up a programme part-way
through — bundled, tendered, awarded — without replaying the bundling and tender flow each time.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlmodel import Session

from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.estimates.models import Estimate
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.tendering.enums import AwardStatus, TenderStatus
from pvhub.tendering.models import Award, Bid, Tender, TenderLot

#: Share of a year's energy per month for a Shanghai-like climate (sums to 1).
MONTH_SHARE = (0.055, 0.06, 0.075, 0.09, 0.1, 0.095, 0.11, 0.115, 0.09, 0.08, 0.07, 0.06)
SPECIFIC_YIELD = 1000.0  # kWh/kWp a year, a round figure for tests


def estimated_site(
    session: Session,
    organisation_id: int,
    name: str,
    surfaces: list[tuple[str, float, float]],
    *,
    lon: float = 121.48,
    lat: float = 31.23,
    subdistrict: str = "外滩",
) -> tuple[Site, list[Surface]]:
    """A site with approved surfaces ``(kind, height_m, kWp)``, each estimated at 1,000 kWh/kWp."""
    site = Site(name=name, organisation_id=organisation_id, lon=lon, lat=lat, subdistrict=subdistrict)
    session.add(site)
    session.flush()
    assert site.id is not None
    rows = []
    for kind, height, kwp in surfaces:
        surface = Surface(
            site_id=site.id,
            kind=SurfaceKind(kind),
            tilt_deg=90 if kind == "curtain_wall" else 10,
            azimuth_deg=180,
            gross_area_m2=kwp * 8,
            usable_area_m2=kwp * 6,
            height_m=height,
            status=SurfaceStatus.approved,
        )
        session.add(surface)
        session.flush()
        assert surface.id is not None
        annual = kwp * SPECIFIC_YIELD
        session.add(
            Estimate(
                surface_id=surface.id,
                capacity_kwp=kwp,
                annual_kwh=annual,
                specific_yield_kwh_per_kwp=SPECIFIC_YIELD,
                monthly_kwh=[round(annual * share, 2) for share in MONTH_SHARE],
                co2_avoided_t=annual * 0.0005,
                assumptions={},
                weather_source="test",
                weather_hash="0" * 64,
                pvlib_version="test",
            )
        )
        rows.append(surface)
    session.commit()
    return site, rows


_counter = {"n": 0}


def confirmed_award(
    session: Session,
    supplier_id: int,
    site_ids: list[int],
    *,
    schedule_days: int = 120,
    confirmed_at: datetime | None = None,
    status: AwardStatus = AwardStatus.confirmed,
) -> Award:
    """Sites in a published bundle, tendered as one lot, won by ``supplier_id`` with this schedule."""
    _counter["n"] += 1
    n = _counter["n"]
    when = confirmed_at or datetime.now(UTC)
    bundle = Bundle(code=f"B-T{n}", status=BundleStatus.published, published_at=when)
    tender = Tender(code=f"T-T{n}", title=f"Tender {n}", status=TenderStatus.awarded, deadline=when)
    session.add_all([bundle, tender])
    session.flush()
    assert bundle.id is not None and tender.id is not None
    session.add_all([BundleSite(bundle_id=bundle.id, site_id=sid) for sid in site_ids])
    lot = TenderLot(tender_id=tender.id, bundle_id=bundle.id)
    session.add(lot)
    session.flush()
    assert lot.id is not None
    content = {
        "total_price_cny": 1_000_000,
        "price_cny_per_w": 3.5,
        "schedule_days": schedule_days,
        "module_tier": 1,
        "inverter_tier": 1,
        "warranty_years": 10,
        "notes": "",
    }
    bid = Bid(
        lot_id=lot.id,
        supplier_id=supplier_id,
        content=content,
        content_sha256=hashlib.sha256(repr(content).encode()).hexdigest(),
    )
    session.add(bid)
    session.flush()
    assert bid.id is not None
    award = Award(
        lot_id=lot.id,
        bid_id=bid.id,
        status=status,
        confirmed_at=when if status == AwardStatus.confirmed else None,
    )
    session.add(award)
    session.commit()
    return award
