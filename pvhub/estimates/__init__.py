"""Estimates: what each approved surface can produce, from the yield engine, run as jobs."""
