"""Economics of registered surfaces, sites and groups of sites, from their estimates.

Computed on read, never stored: a figure always rests on the estimate shown next to it and on the
assumptions in force (:mod:`pvhub.economics.settings`). A surface counts once it has an estimate;
a site is the sum of its live surfaces (not rejected or withdrawn) — for bundles and lots, of its
approved ones, as bundling counts kWp. The site's tariff follows its use
(:func:`pvhub.economics.assumptions.tariff_class`), its self-use share is its own or its class's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core.errors import InvalidInput
from pvhub.economics.assumptions import EconomicAssumptions, tariff_class
from pvhub.economics.cashflow import (
    BUSINESS_MODELS,
    Economics,
    SystemInputs,
    Terms,
    combine,
    compare,
    evaluate,
    owner_first_year_batch,
)
from pvhub.economics.settings import current_economics
from pvhub.estimates.models import Estimate
from pvhub.register import service as register
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Site, Surface

K = TypeVar("K")
_LIVE = (SurfaceStatus.draft, SurfaceStatus.submitted, SurfaceStatus.approved)


def checked_model(model: str | None) -> str | None:
    """A business model named by a caller, checked (None: the site's own)."""
    if model is not None and model not in BUSINESS_MODELS:
        raise InvalidInput(
            "{field}: unknown business model {model}; expected one of {models}.",
            field="model",
            model=model,
            models=", ".join(BUSINESS_MODELS),
        )
    return model


def _site_terms(site: Site, a: EconomicAssumptions) -> tuple[float, float]:
    """The tariff the site's owner pays and the share of PV energy it uses itself."""
    tariff_cls = tariff_class(site.use)
    share = site.self_use_share if site.self_use_share is not None else a.self_use_share[tariff_cls]
    return a.tariff_cny_per_kwh[tariff_cls], share


@dataclass(frozen=True)
class _Counted:
    """What the economics read of one estimated surface (plain columns: estimate rows are wide)."""

    site_id: int
    kind: str
    usable_area_m2: float
    capacity_kwp: float
    annual_kwh: float


def _inputs(surfaces: Sequence[_Counted], site: Site, a: EconomicAssumptions) -> SystemInputs:
    tariff, share = _site_terms(site, a)
    kinds: dict[str, float] = defaultdict(float)
    for surface in surfaces:
        kinds[surface.kind] += surface.capacity_kwp
    return SystemInputs(
        capacity_kwp_by_kind=dict(kinds),
        annual_kwh=sum(s.annual_kwh for s in surfaces),
        usable_area_m2=sum(s.usable_area_m2 for s in surfaces),
        tariff_cny_per_kwh=tariff,
        self_use_share=share,
    )


def _estimated_surfaces(
    session: Session, site_ids: Sequence[int], *, approved_only: bool
) -> dict[int, list[_Counted]]:
    """Each site's counted surfaces that have an estimate, by site id."""
    statuses = (SurfaceStatus.approved,) if approved_only else _LIVE
    columns: tuple[Any, ...] = (
        Surface.site_id,
        Surface.kind,
        Surface.usable_area_m2,
        Estimate.capacity_kwp,
        Estimate.annual_kwh,
    )
    rows = session.exec(
        select(*columns)
        .join(Estimate, col(Estimate.surface_id) == col(Surface.id))
        .where(col(Surface.site_id).in_(list(site_ids)), col(Surface.status).in_(statuses))
        .order_by(col(Surface.id))
    ).all()
    by_site: dict[int, list[_Counted]] = defaultdict(list)
    for site_id, kind, area, kwp, kwh in rows:
        by_site[site_id].append(_Counted(site_id, kind.value, area, kwp, kwh))
    return by_site


def _sites_inputs(
    session: Session, site_ids: Sequence[int], a: EconomicAssumptions, *, approved_only: bool
) -> dict[int, tuple[Site, SystemInputs]]:
    surfaces = _estimated_surfaces(session, site_ids, approved_only=approved_only)
    sites = session.exec(select(Site).where(col(Site.id).in_(list(surfaces)))).all()
    return {site.id: (site, _inputs(surfaces[site.id], site, a)) for site in sites if site.id is not None}


def surface_economics(
    *, session: Session, user: User, surface_id: int, model: str | None = None
) -> Economics:
    """One surface as a system of its own, under the site's business model or the one named."""
    model = checked_model(model)
    surface = register.get_surface(session=session, user=user, surface_id=surface_id)
    site = register.get_site(session=session, user=user, site_id=surface.site_id)
    estimate = session.exec(select(Estimate).where(Estimate.surface_id == surface_id)).first()
    if estimate is None:
        raise InvalidInput(
            "Surface {surface_id} has no estimate yet: its economics follow from it.", surface_id=surface_id
        )
    a = current_economics(session=session).values
    counted = _Counted(
        surface.site_id,
        surface.kind.value,
        surface.usable_area_m2,
        estimate.capacity_kwp,
        estimate.annual_kwh,
    )
    return evaluate(model or site.business_model.value, _inputs([counted], site, a), a)


def _site_inputs(
    session: Session, user: User, site_id: int
) -> tuple[Site, SystemInputs, EconomicAssumptions]:
    site = register.get_site(session=session, user=user, site_id=site_id)
    a = current_economics(session=session).values
    found = _sites_inputs(session, [site_id], a, approved_only=False)
    if site_id not in found:
        raise InvalidInput(
            "Site {site_id} has no estimated surface yet: its economics follow from them.", site_id=site_id
        )
    return site, found[site_id][1], a


def site_economics(*, session: Session, user: User, site_id: int, model: str | None = None) -> Economics:
    """The site's live surfaces as one system, under its business model or the one named."""
    model = checked_model(model)
    site, inputs, a = _site_inputs(session, user, site_id)
    return evaluate(model or site.business_model.value, inputs, a)


def site_comparison(*, session: Session, user: User, site_id: int) -> dict[str, Economics]:
    """The site under each business model at the programme's default terms."""
    _site, inputs, a = _site_inputs(session, user, site_id)
    return compare(inputs, a)


def predominant_model(sites: Sequence[tuple[Site, SystemInputs]]) -> str:
    """The business model of the sites with the most kWp (ties: EPC, then EMC, then lease)."""
    kwp = dict.fromkeys(BUSINESS_MODELS, 0.0)
    for site, inputs in sites:
        kwp[site.business_model.value] += inputs.capacity_kwp
    return max(BUSINESS_MODELS, key=lambda m: (kwp[m], -BUSINESS_MODELS.index(m)))


def sites_economics(
    *,
    session: Session,
    site_ids: Sequence[int],
    model: str | None = None,
    terms: Terms | None = None,
    approved_only: bool = True,
) -> Economics | None:
    """Several sites (a bundle, a lot) as one, all under one business model and terms: the one named,
    else the model of the sites with the most kWp. None when none of them has an estimated surface.
    No access check: the callers (bundles, tenders) decide who may read what."""
    model = checked_model(model)
    a = current_economics(session=session).values
    found = list(_sites_inputs(session, site_ids, a, approved_only=approved_only).values())
    if not found:
        return None
    chosen = model or predominant_model(found)
    return combine([evaluate(chosen, inputs, a, terms) for _site, inputs in found])


def groups_economics(
    *, session: Session, groups: Mapping[K, Sequence[int]], models: Mapping[K, str | None] | None = None
) -> dict[K, Economics]:
    """Many groups of sites (the bundles of the bundles page) at once, like :func:`sites_economics`
    for each group (approved surfaces, the group's model or the one of its most kWp), with one read
    for all of them. Groups without an estimated surface are left out. No access check."""
    a = current_economics(session=session).values
    every = {site_id for site_ids in groups.values() for site_id in site_ids}
    found = _sites_inputs(session, sorted(every), a, approved_only=True)
    out: dict[K, Economics] = {}
    for key, site_ids in groups.items():
        members = [found[i] for i in site_ids if i in found]
        if members:
            chosen = checked_model((models or {}).get(key)) or predominant_model(members)
            out[key] = combine([evaluate(chosen, inputs, a) for _site, inputs in members])
    return out


def each_site(
    *, session: Session, site_ids: Sequence[int], approved_only: bool = False
) -> dict[int, Economics]:
    """Each of these sites under its own business model at the default terms, in one read (lists and
    maps: no query per site). Sites without an estimated surface are left out. No access check."""
    a = current_economics(session=session).values
    found = _sites_inputs(session, site_ids, a, approved_only=approved_only)
    return {
        site_id: evaluate(site.business_model.value, inputs, a) for site_id, (site, inputs) in found.items()
    }


def site_values(*, session: Session, site_ids: Sequence[int]) -> dict[int, float]:
    """Each site's value for bankable bundling: the investing party's NPV at the discount rate (the
    hurdle), under the site's own business model at the default terms, from its approved estimated
    surfaces. Sites with none are left out."""
    a = current_economics(session=session).values
    found = _sites_inputs(session, site_ids, a, approved_only=True)
    return {
        site_id: evaluate(site.business_model.value, inputs, a).value_cny
        for site_id, (site, inputs) in found.items()
    }


def programme_economics(*, session: Session, site_ids: Sequence[int] | None = None) -> dict[str, float]:
    """The dashboard's money: the investment in these sites' approved, estimated surfaces (all sites
    when None) and the owners' saving or income in the first year, each site under its own model.

    Read as plain columns and computed in closed form (:func:`owner_first_year_batch`), because the
    dashboard shows it for ten thousand surfaces on every visit; a test holds it equal to the cash
    flows of :func:`evaluate`."""
    a = current_economics(session=session).values
    columns: tuple[Any, ...] = (
        Surface.site_id,
        Surface.kind,
        Surface.usable_area_m2,
        Estimate.capacity_kwp,
        Estimate.annual_kwh,
        Site.use,
        Site.self_use_share,
        Site.business_model,
    )
    query = (
        select(*columns)
        .join(Estimate, col(Estimate.surface_id) == col(Surface.id))
        .join(Site, col(Site.id) == col(Surface.site_id))
        .where(Surface.status == SurfaceStatus.approved)
    )
    if site_ids is not None:
        query = query.where(col(Surface.site_id).in_(list(site_ids)))
    sites: dict[int, list[Any]] = {}
    investment = 0.0
    for site_id, kind, area, kwp, kwh, use, own_share, model in session.exec(query).all():
        investment += kwp * a.investment_cny_per_kwp[kind.value]
        tariff_cls = tariff_class(use)
        share = own_share if own_share is not None else a.self_use_share[tariff_cls]
        row = sites.setdefault(site_id, [model.value, 0.0, 0.0, 0.0, a.tariff_cny_per_kwh[tariff_cls], share])
        row[1] += kwp
        row[2] += kwh
        row[3] += area
    if not sites:
        return {"investment_cny": 0.0, "owner_saving_cny_per_year": 0.0}
    models, kwp_, kwh_, area_, tariff_, share_ = (
        np.array(column) for column in zip(*sites.values(), strict=True)
    )
    saving = owner_first_year_batch(models, kwp_, kwh_, area_, tariff_, share_, a)
    return {"investment_cny": investment, "owner_saving_cny_per_year": float(saving.sum())}
