"""The app's routes as the security tests see them: every route that exists when the tests run.

Tests iterate these instead of naming routes, so a route added tomorrow is checked tomorrow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import fastapi.routing
from fastapi import FastAPI

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template, e.g. /sites/{site_id}

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def url(self, values: Mapping[str, object]) -> str:
        """The path with each ``{param}`` replaced by ``values[param]``."""
        return PARAM.sub(lambda m: str(values[m.group(1)]), self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


#: Routes of included routers (API and pages) that every app has: a listing without them did not see
#: inside the routers, and every test iterating it would check little or nothing.
SENTINELS = (Route("POST", "/api/v1/auth/token"), Route("GET", "/login"), Route("POST", "/logout"))


def routes(app: FastAPI) -> list[Route]:
    """Every (method, path) the app answers, included routers flattened, HEAD left out."""
    # FastAPI ≥ 0.16x keeps included routers nested; iter_route_contexts flattens them.
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    candidates = flatten(app.routes) if flatten is not None else app.routes
    found: list[Route] = []
    for candidate in candidates:
        path, methods = getattr(candidate, "path", None), getattr(candidate, "methods", None)
        if not path or not methods:
            continue  # mounts (static files) and websockets
        for method in sorted(set(methods) - {"HEAD"}):
            route = Route(method, path)
            if route not in found:
                found.append(route)
    missing = [str(r) for r in SENTINELS if r not in found]
    assert not missing, f"the route listing does not reach into the included routers: {missing} absent"
    return found


def page_routes(app: FastAPI) -> list[Route]:
    """The HTML pages and their form posts (everything outside /api, /static and the API docs)."""
    skip = ("/api/", "/static", "/docs", "/redoc", "/openapi.json")
    return [r for r in routes(app) if not r.path.startswith(skip)]


def api_routes(app: FastAPI) -> list[Route]:
    return [r for r in routes(app) if r.is_api]
