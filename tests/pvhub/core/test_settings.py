"""Settings refuse unsafe defaults outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pvhub.core.settings import DEV_SECRET, Settings


def test_production_requires_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PVHUB_SECRET_KEY", raising=False)
    monkeypatch.setenv("PVHUB_ENV", "production")
    with pytest.raises(ValidationError, match="PVHUB_SECRET_KEY is required"):
        Settings()


def test_production_refuses_the_development_key() -> None:
    with pytest.raises(ValidationError, match="not the development key"):
        Settings(env="production", secret_key=DEV_SECRET)
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env="production", secret_key="short")


def test_development_gets_a_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PVHUB_SECRET_KEY", raising=False)
    monkeypatch.setenv("PVHUB_ENV", "development")
    settings = Settings()
    assert settings.secret == DEV_SECRET


def test_environment_variables_use_the_pvhub_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVHUB_ENV", "development")
    monkeypatch.setenv("PVHUB_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("PVHUB_LATITUDE", "39.9")
    settings = Settings()
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.latitude == 39.9
    assert settings.timezone == "Asia/Shanghai"


def test_defaults_are_huangpu() -> None:
    settings = Settings(env="development")
    assert (settings.latitude, settings.longitude) == (31.23, 121.48)
    assert settings.database_url == "sqlite:///var/pvhub.db"
