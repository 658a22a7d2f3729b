"""pvhub's database models, one module per domain; importing this registers every table."""

from pvhub.models.accounts import (
    LoginFailure,
    Organisation,
    OrganisationPublic,
    RevokedSession,
    User,
    UserCreate,
    UserPublic,
)
from pvhub.models.build import (
    Construction,
    DemonstrationPoint,
    DemonstrationPointSite,
    MeasuredEnergy,
    Milestone,
    MilestoneDocument,
)
from pvhub.models.bundling import Bundle, BundleSite, BundlingRun
from pvhub.models.enums import (
    AwardStatus,
    BidStatus,
    BundleStatus,
    BusinessModel,
    MilestoneKind,
    MilestoneStatus,
    ObjectionStatus,
    Role,
    RunStatus,
    SurfaceKind,
    SurfaceStatus,
    TenderStatus,
)
from pvhub.models.estimate import Estimate, EstimatePublic
from pvhub.models.job import Job, JobPublic
from pvhub.models.notification import Notification, NotificationPublic
from pvhub.models.programme import AuditEvent, Programme, ProgrammeUpdate
from pvhub.models.register import Site, Surface
from pvhub.models.tender import (
    Award,
    AwardRun,
    Bid,
    Objection,
    Tender,
    TenderDocument,
    TenderLot,
)

__all__ = [
    "AuditEvent",
    "Award",
    "AwardRun",
    "AwardStatus",
    "Bid",
    "BidStatus",
    "Bundle",
    "BundleSite",
    "BundleStatus",
    "BundlingRun",
    "BusinessModel",
    "Construction",
    "DemonstrationPoint",
    "DemonstrationPointSite",
    "Estimate",
    "EstimatePublic",
    "Job",
    "JobPublic",
    "LoginFailure",
    "MeasuredEnergy",
    "Milestone",
    "MilestoneDocument",
    "MilestoneKind",
    "MilestoneStatus",
    "Notification",
    "NotificationPublic",
    "Objection",
    "ObjectionStatus",
    "Organisation",
    "OrganisationPublic",
    "Programme",
    "ProgrammeUpdate",
    "RevokedSession",
    "Role",
    "RunStatus",
    "Site",
    "Surface",
    "SurfaceKind",
    "SurfaceStatus",
    "Tender",
    "TenderDocument",
    "TenderLot",
    "TenderStatus",
    "User",
    "UserCreate",
    "UserPublic",
]
