"""The kinds of background job pvhub runs, put together in one place.

Each service offers a plain job function ``(session, parameters, progress) -> result`` and submits its
jobs through :mod:`pvhub.jobs.service`; this module, above both, tells :mod:`pvhub.jobs.service`
which function runs which kind and who may start it. So the import graph stays one way (services →
jobs), with no import inside a function to hide a cycle.

Whatever submits or runs jobs calls :func:`install` once before: :func:`web.app.create_app` (the API
and the pages), and the test suite (``tests/conftest.py``). The command line runs no jobs.
"""

from __future__ import annotations

from pvhub.bundling import runs as bundling
from pvhub.jobs import service as jobs
from pvhub.monitoring import normalised
from pvhub.register.imports import jobs as import_jobs
from pvhub.survey import service as survey
from pvhub.survey import stock as building_stock
from pvhub.survey import stock_jobs, surface_shading
from pvhub.tendering import awards
from pvhub.weather import measured


def install() -> None:
    """Register pvhub's job kinds with :mod:`pvhub.jobs.service` (again is harmless)."""
    # building shade from the stock first, then the estimate (issue #19)
    jobs.add_kind("estimate", "estimate:run", surface_shading.estimate_job)
    jobs.add_kind("bundling", "bundle:run", bundling.bundling_job)
    jobs.add_kind("award", "award:run", awards.award_job)
    jobs.add_kind(import_jobs.KIND, "site:import", import_jobs.import_job)
    jobs.add_kind(measured.NORMALISE_KIND, measured.PERMISSION, normalised.normalise_job)
    jobs.add_kind(stock_jobs.KIND, building_stock.PERMISSION, stock_jobs.stock_import_job)
    jobs.add_kind(survey.KIND, survey.PERMISSION, survey.survey_job)
