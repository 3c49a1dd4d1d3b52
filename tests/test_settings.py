"""Settings from the environment with embedded defaults."""

from __future__ import annotations

from core import settings
from core.rls import APP_ROLE


def test_embedded_default_is_sqlite_under_instance(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATABASE_ROLE"):
        monkeypatch.delenv(name, raising=False)
    config = settings.from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'start-integration.db'}"
    assert config["REDIS_URL"] is None
    assert config["DATABASE_ROLE"] == ""
    assert len(config["SECRET_KEY"]) > 40
    assert settings.from_environment(str(tmp_path))["SECRET_KEY"] == config["SECRET_KEY"]  # kept in instance/


def test_postgres_urls_use_psycopg_3_and_the_application_role(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_ROLE", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db/si")
    config = settings.from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://app@db/si"
    assert config["DATABASE_ROLE"] == APP_ROLE


def test_tenant_hosts_are_read_as_pairs():
    assert settings.tenant_hosts("A.example=grenchen, b.example = balsthal,broken") == {
        "a.example": "grenchen",
        "b.example": "balsthal",
    }


def test_the_server_name_for_links_outside_a_request_defaults_to_https(tmp_path, monkeypatch):
    for name in ("SERVER_NAME", "PREFERRED_URL_SCHEME"):
        monkeypatch.delenv(name, raising=False)
    config = settings.from_environment(str(tmp_path))
    assert (config["SERVER_NAME"], config["PREFERRED_URL_SCHEME"]) == (None, "http")  # Flask's, for the dev server
    monkeypatch.setenv("SERVER_NAME", "integration.so.ch")
    config = settings.from_environment(str(tmp_path))
    assert (config["SERVER_NAME"], config["PREFERRED_URL_SCHEME"]) == ("integration.so.ch", "https")
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "http")
    assert settings.from_environment(str(tmp_path))["PREFERRED_URL_SCHEME"] == "http"
