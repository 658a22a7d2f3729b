"""Pages of construction: milestones per surface, demonstration points, measured energy."""
