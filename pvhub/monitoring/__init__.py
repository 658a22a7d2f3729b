"""Monitoring: the programme's progress, demonstration points, totals and reports."""
