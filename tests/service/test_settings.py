"""Every LINKDESK_* setting can come from the environment (the deploy env file), read as its
default's type; a value that does not read as one is ignored, as before."""

from linkdesk import create_app

from ..helpers import app_config


def test_settings_from_the_environment_take_their_defaults_types(monkeypatch, database_url):
    for name, value in {
        "LINKDESK_PROBE_PORTS": "80, 443,8443",
        "LINKDESK_PROBE_ALLOW_NETWORKS": "10.0.0.0/8,127.0.0.0/8",
        "LINKDESK_WORKER_STALE_SECONDS": "60",
        "LINKDESK_SMTP_STARTTLS": "1",
        "LINKDESK_PROBE_TIMEOUT_SECONDS": "2.5",
        "LINKDESK_PROBE_CONCURRENCY": "many",
        "LINKDESK_PROBE_AFTER_CUTOVER": "0",
    }.items():
        monkeypatch.setenv(name, value)
    config = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"}).config
    assert config["LINKDESK_PROBE_PORTS"] == (80, 443, 8443)
    assert config["LINKDESK_PROBE_ALLOW_NETWORKS"] == ("10.0.0.0/8", "127.0.0.0/8")
    assert config["LINKDESK_WORKER_STALE_SECONDS"] == 60 and config["LINKDESK_SMTP_STARTTLS"] is True
    assert config["LINKDESK_PROBE_TIMEOUT_SECONDS"] == 2.5 and config["LINKDESK_PROBE_AFTER_CUTOVER"] is False
    assert config["LINKDESK_PROBE_CONCURRENCY"] == 32  # not a number: the default stays
    # The test mapping still wins over the environment.
    assert create_app(app_config(database_url)).config["LINKDESK_PROBE_AFTER_CUTOVER"] is False


def test_postgresql_connections_give_up_after_the_configured_timeout():
    config = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u:p@db.invalid/x",
            "SECRET_KEY": "x",
            "LINKDESK_DATABASE_CONNECT_TIMEOUT_SECONDS": 3,
        }
    ).config
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 3}
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
