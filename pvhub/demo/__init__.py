"""Demo data for pvhub: a deterministic, invented Huangpu district (see :mod:`pvhub.demo.district`)."""

from pvhub.demo.district import (
    BUSINESS_MODELS,
    HUANGPU_OUTLINE,
    METRIC_CRS,
    SITE_USES,
    SURFACE_KINDS,
    DemoDistrict,
    DemoOrganisation,
    DemoSite,
    DemoSubdistrict,
    DemoSurface,
    build_demo_district,
)

__all__ = [
    "BUSINESS_MODELS",
    "HUANGPU_OUTLINE",
    "METRIC_CRS",
    "SITE_USES",
    "SURFACE_KINDS",
    "DemoDistrict",
    "DemoOrganisation",
    "DemoSite",
    "DemoSubdistrict",
    "DemoSurface",
    "build_demo_district",
]
