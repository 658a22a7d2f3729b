"""A small typed client of pvhub's REST API, for integrators (issue #22).

An owner registering 200 buildings by script, a supplier's own system reading its lots and
reporting milestones: they call typed methods that send and return the API's own pydantic models,
walk paginated lists for them, and get an exception carrying the API's message when a request is
refused::

    from pvhub.client import Client, InvalidRequest

    with Client.login("https://pvhub.example.cn", "owner@example.cn", "secret") as pvhub:
        site = pvhub.create_site({"name": "Tower A", "lon": 121.48, "lat": 31.23})
        pvhub.create_surface({"site_id": site.id, "kind": "roof", "tilt_deg": 10, "azimuth_deg": 180,
                              "gross_area_m2": 800, "usable_area_m2": 560})
        for surface in pvhub.surfaces(site_id=site.id):
            pvhub.submit_surface(surface.id)
"""

from pvhub.client.client import Client
from pvhub.client.errors import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    ServerError,
    TooManyRequests,
)

__all__ = [
    "ApiError",
    "Client",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotAuthenticated",
    "NotFound",
    "ServerError",
    "TooManyRequests",
]
