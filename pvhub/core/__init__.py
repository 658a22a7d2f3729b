"""The shared core every domain stands on: database, settings, errors, audit log, access policy."""
