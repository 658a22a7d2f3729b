"""Pages of estimates: starting a run from the pages."""
