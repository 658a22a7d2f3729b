"""Pages of monitoring: the dashboard, its reports and the public progress page."""
