"""The yield engine stays a pure library: no database, no web framework, no other pvhub module."""

import subprocess
import sys


def test_importing_the_engine_pulls_in_no_database_or_web_framework():
    code = (
        "import sys, pvhub.yieldengine; "
        "web = ('sqlalchemy', 'sqlmodel', 'fastapi', 'starlette'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in web "
        "or (m.startswith('pvhub.') and not m.startswith('pvhub.yieldengine'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
