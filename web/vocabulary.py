"""Domain words shown through ``_(value)`` in templates, listed so Babel extracts them.

Templates translate enum values at render time (``_("kind." ~ surface.kind.value)``); the extractor cannot
see those, so each value is marked here once.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


VOCABULARY = (
    N_("role.office"),
    N_("role.owner"),
    N_("role.supplier"),
    N_("kind.roof"),
    N_("kind.curtain_wall"),
    N_("kind.corridor"),
    N_("kind.walkway"),
    N_("status.draft"),
    N_("status.submitted"),
    N_("status.approved"),
    N_("status.rejected"),
    N_("status.withdrawn"),
    N_("use.office"),
    N_("use.residential"),
    N_("use.retail"),
    N_("use.school"),
    N_("use.hospital"),
    N_("use.government"),
    N_("use.hotel"),
    N_("use.industrial"),
    N_("use.parking"),
    N_("use.transport"),
    N_("job.estimate"),
    N_("run.queued"),
    N_("run.running"),
    N_("run.succeeded"),
    N_("run.failed"),
    N_("run.cancelled"),
    N_("solver.optimal"),
    N_("solver.feasible"),
    N_("solver.infeasible"),
    N_("solver.unknown"),
    N_("bundle.draft"),
    N_("bundle.locked"),
    N_("bundle.published"),
    N_("below the run's minimum of %(limit)s kWp"),
    N_("above the run's maximum of %(limit)s kWp"),
    N_("more than %(limit)s sites"),
    N_("a site is more than %(limit)s m from the anchor"),
    N_("model.epc"),
    N_("model.emc"),
    N_("model.lease"),
    N_("Please log in."),
    N_("The form expired or did not come from pvhub; reload the page and try again."),
)
