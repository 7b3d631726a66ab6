"""Settings come from the environment, are validated at start and name every problem."""

from __future__ import annotations

import pytest

from db.settings import ConfigError, ensure_secret_key, load_settings


def test_defaults_use_an_sqlite_file_in_the_instance_folder(tmp_path):
    s = load_settings(env={"REMTRACK_INSTANCE_PATH": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'remtrack.db'}"
    assert s.default_locale == "vi" and s.dialect == "sqlite"


@pytest.mark.parametrize("url", ["not a url", "mysql://root@localhost/x", "postgresql://h/"])
def test_an_invalid_database_url_is_refused_with_the_way_to_write_one(url):
    with pytest.raises(ConfigError) as err:
        load_settings(env={"REMTRACK_DATABASE_URL": url})
    assert "REMTRACK_DATABASE_URL" in str(err.value)
    assert "postgresql://user@host/dbname" in str(err.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        load_settings(env={"REMTRACK_PORT": "eighty", "REMTRACK_SESSION_COOKIE_SECURE": "maybe"})
    assert len(err.value.problems) == 2


def test_a_short_secret_key_is_refused():
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(env={"REMTRACK_SECRET_KEY": "short"})


def test_a_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    s = load_settings(env={"REMTRACK_INSTANCE_PATH": str(tmp_path)})
    first = ensure_secret_key(s)
    second = ensure_secret_key(s)
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
