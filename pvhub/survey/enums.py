"""States of the survey's records."""

from __future__ import annotations

import enum


class OfferStatus(enum.StrEnum):
    """A building offered to an owner organisation: ``offered`` until the owner answers;
    ``confirmed`` created its site, ``declined`` carries the owner's reason; ``withdrawn`` by the
    office before an answer."""

    offered = "offered"
    confirmed = "confirmed"
    declined = "declined"
    withdrawn = "withdrawn"


class CandidateStatus(enum.StrEnum):
    """``unclaimed``: nobody owns the building in pvhub; ``offered``: its building is offered to an
    owner; ``confirmed``: it became a draft surface of the owner's site (``surface_id``), and a new
    survey leaves it alone."""

    unclaimed = "unclaimed"
    offered = "offered"
    confirmed = "confirmed"
