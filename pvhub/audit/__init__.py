"""The audit trail, readable (issue #22): the office's queries, differences and CSV export of the audit
log that :mod:`pvhub.core.audit` writes."""
