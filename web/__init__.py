"""Server-rendered pages of pvhub: Jinja2 templates, htmx fragments, static assets, page routes."""
