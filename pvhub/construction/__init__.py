"""Construction: State Grid milestones of every awarded surface, their documents, measured energy."""
