"""Every table of pvhub, for whatever needs the whole schema at once (migrations, backups, tests).

SQLModel registers a table in its metadata when the module that declares it is imported; each
domain declares its own, so this module, above all of them, imports each domain's models once.
"""

from sqlmodel import SQLModel

from pvhub.accounts import models as accounts_models
from pvhub.bundling import models as bundling_models
from pvhub.construction import models as construction_models
from pvhub.core import audit_events
from pvhub.economics import models as economics_models
from pvhub.estimates import models as estimates_models
from pvhub.jobs import models as jobs_models
from pvhub.monitoring import models as monitoring_models
from pvhub.notifications import models as notifications_models
from pvhub.programme import models as programme_models
from pvhub.register import models as register_models
from pvhub.survey import models as survey_models
from pvhub.tendering import models as tendering_models
from pvhub.weather import models as weather_models

DOMAIN_MODELS = (
    audit_events,
    jobs_models,
    accounts_models,
    notifications_models,
    programme_models,
    weather_models,
    register_models,
    estimates_models,
    economics_models,
    bundling_models,
    survey_models,
    tendering_models,
    construction_models,
    monitoring_models,
)

metadata = SQLModel.metadata
