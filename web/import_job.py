"""A register import that ran as a background job, on its job page in the reader's language.

The job's result keeps the report as JSON with each problem's and skip's template and values
(:mod:`pvhub.register.imports.jobs`); the page rebuilds the problems and skips from it and renders
them as the import page does (:mod:`web.import_report`), in the same table
(``register/import_report.html``).
"""

from __future__ import annotations

from typing import Any

from pvhub.core.enums import RunStatus
from pvhub.jobs.models import Job
from pvhub.register.imports import jobs as import_jobs
from web import import_report
from web.vocabulary import N_

#: The job's name on its page (``_("job." ~ job.kind)``).
JOB_KIND = N_("job.import")


def report_context(job: Job) -> dict[str, Any]:
    """``report``, ``filename``, ``problems`` and ``skips`` for the import report partial, once an
    import job has finished with its report; nothing for another job or before."""
    if job.kind != import_jobs.KIND or job.status != RunStatus.succeeded or not isinstance(job.result, dict):
        return {}
    problems, skips = import_jobs.report_entries(job.result)
    return {
        "report": job.result,
        "filename": job.result.get("filename"),
        "problems": import_report.problems(problems),
        "skips": import_report.skips(skips),
    }
