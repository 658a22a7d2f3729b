"""What the app does when it starts, beyond the database: the heap freeze that keeps a
10,000-surface dashboard from paying for full garbage collections (web/app.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pvhub.core.settings import Settings
from web.app import create_app


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Start and end with nothing frozen, whatever the test did."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_served_app_freezes_its_start_up_heap(settings: Settings, unfrozen: None) -> None:
    app = create_app(settings.model_copy(update={"freeze_heap_on_start": True}))
    assert gc.get_freeze_count() == 0  # building the app is not starting it
    with TestClient(app) as client:
        frozen = gc.get_freeze_count()
        assert frozen > 10_000, frozen  # the modules, templates and app state, not a handful
        assert client.get("/login").status_code == 200


def test_apps_started_by_tests_freeze_nothing(settings: Settings, unfrozen: None) -> None:
    """Hundreds of apps start in one test process; frozen cycles would never be reclaimed."""
    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    ("env", "override", "expected"),
    [
        ("production", None, True),
        ("development", None, True),
        ("test", None, False),
        ("production", False, False),
    ],
)
def test_freezing_is_on_except_in_tests_unless_set(env: str, override: bool | None, expected: bool) -> None:
    settings = Settings(env=env, secret_key="k" * 40, freeze_heap_on_start=override)  # type: ignore[arg-type]
    assert settings.freezes_heap is expected
