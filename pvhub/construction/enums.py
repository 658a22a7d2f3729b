"""The State Grid milestones of a build and their review states."""

from __future__ import annotations

from enum import StrEnum


class MilestoneKind(StrEnum):
    """State Grid procedure for distributed PV, in order."""

    design_approved = "design_approved"
    grid_application = "grid_application"
    access_scheme_confirmed = "access_scheme_confirmed"
    installation_started = "installation_started"
    installed = "installed"
    metering_and_contracts = "metering_and_contracts"
    grid_connected = "grid_connected"
    accepted = "accepted"


class MilestoneStatus(StrEnum):
    planned = "planned"
    reported = "reported"
    confirmed = "confirmed"
    sent_back = "sent_back"
