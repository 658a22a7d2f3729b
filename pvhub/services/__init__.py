"""Services: the business rules. Handlers and the CLI call these; they raise domain errors."""
