"""REST routes of monitoring: the programme, its progress and demonstration points."""
