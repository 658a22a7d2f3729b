"""Background jobs: a queue in the database, worker threads, progress, cancellation."""
