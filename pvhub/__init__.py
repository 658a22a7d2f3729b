"""pvhub: the application (settings, models, services, API, CLI, migrations, demo data)."""
