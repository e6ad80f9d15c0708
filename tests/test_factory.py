"""The app factory and configuration."""

from pathlib import Path

from linkdesk import REPO_ROOT, create_app


def test_paths_point_at_the_top_level_folders(app):
    assert Path(app.template_folder) == REPO_ROOT / "templates"
    assert Path(app.static_folder) == REPO_ROOT / "static"
    assert Path(app.instance_path) == REPO_ROOT / "instance"
    assert Path(app.template_folder).is_absolute()


def test_test_config_wins_over_defaults(database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "LINKDESK_LEAD_WORKING_DAYS": 12})
    assert app.config["LINKDESK_LEAD_WORKING_DAYS"] == 12
    assert app.testing


def test_environment_overrides_defaults(monkeypatch, database_url):
    monkeypatch.setenv("LINKDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("LINKDESK_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch, database_url):
    monkeypatch.delenv("LINKDESK_SECRET_KEY", raising=False)
    monkeypatch.setattr("linkdesk.REPO_ROOT", tmp_path)
    first = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    second = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text() == first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 40
    assert key_file.stat().st_mode & 0o077 == 0


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("LINKDESK_DATABASE_URL", raising=False)
    monkeypatch.setattr("linkdesk.REPO_ROOT", tmp_path)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'linkdesk.sqlite3'}"


def test_session_cookie_is_httponly_and_samesite(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secure_cookies_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("LINKDESK_SECURE_COOKIES", "1")
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_secret_key_file_is_not_tracked():
    ignored = (REPO_ROOT / ".gitignore").read_text()
    assert "instance/*" in ignored


def test_every_setting_reads_from_the_environment_in_its_own_type(monkeypatch, database_url):
    """Flask's from_prefixed_env finds every LINKDESK_* variable; each is read as its default's type,
    and a value that cannot be read so keeps the default."""
    monkeypatch.setenv("LINKDESK_PROXY_HOPS", "2")
    monkeypatch.setenv("LINKDESK_PROBE_ON_FILING", "no")
    monkeypatch.setenv("LINKDESK_PROBE_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("LINKDESK_PROBE_PORTS", "80, 443, 8443")
    monkeypatch.setenv("LINKDESK_LEAD_WORKING_DAYS", "１２")  # full-width digits: not a number here
    monkeypatch.setenv("LINKDESK_TICKETS_PER_PAGE", "many")
    monkeypatch.setenv("LINKDESK_WECOM_CORP_ID", "0123")  # text stays text, leading zero and all
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["LINKDESK_PROXY_HOPS"] == 2
    assert app.config["LINKDESK_PROBE_ON_FILING"] is False
    assert app.config["LINKDESK_PROBE_TIMEOUT_SECONDS"] == 2.5
    assert app.config["LINKDESK_PROBE_PORTS"] == (80, 443, 8443)
    assert app.config["LINKDESK_LEAD_WORKING_DAYS"] == 10
    assert app.config["LINKDESK_TICKETS_PER_PAGE"] == 25
    assert app.config["LINKDESK_WECOM_CORP_ID"] == "0123"
