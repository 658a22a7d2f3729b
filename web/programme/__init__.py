"""The office's programme settings page: targets, district boundary, weather year, estimating assumptions."""
