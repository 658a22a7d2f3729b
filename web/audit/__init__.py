"""The audit log's page for the office (issue #22)."""
