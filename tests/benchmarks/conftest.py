"""The benchmarks' smoke tests start from the demo district, built once per run (shared with tests/faults)."""

from tests.faults.conftest import demo_db, demo_template  # noqa: F401
