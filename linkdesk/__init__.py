"""linkdesk: the work-order desk for link changes of the national housing provident fund mini-program."""

from pathlib import Path

from flask import Flask

REPO_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then LINKDESK_* variables, then test_config."""
    app = Flask(
        __name__,
        instance_path=str(REPO_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
    )
    from . import config
    from .web.request_limits import Request

    app.request_class = Request

    app.config.from_object(config.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    config.from_environment(app.config)
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.finalize(app)

    from . import api, cli, extensions, models  # noqa: F401
    from .accounts import access, admin_views, password_views, sessions, wecom_views  # noqa: F401 (routes on accounts' bp)
    from .accounts.views import bp as accounts_pages
    from .cutovers.views import bp as cutover_pages
    from .links.views import bp as link_pages
    from .main.views import bp as home_page
    from .notify import events as notifications
    from .notify.inbox_views import bp as inbox_pages
    from .notify.views import bp as notify_pages
    from .overview.views import bp as overview_pages
    from .service import backup_cli, logs, metrics, outages
    from .service.views import bp as service_endpoints
    from .tickets.review_views import bp as review_pages
    from .tickets.views import bp as ticket_pages
    from .web import errors, input_guard, ui
    from .workdays.views import bp as workday_pages

    logs.init_app(app)  # first: every answer gets its request id, every request its log line
    input_guard.init_app(app)  # before the rest: no CSRF check, session lookup or view sees bad input
    notifications.subscribe()  # notify hears the tickets' and links' announcements
    extensions.init_app(app)
    outages.init_app(app)  # one log line per database outage, not a traceback per request
    sessions.init_app(app)
    errors.init_app(app)
    ui.init_app(app)
    cli.init_app(app)
    backup_cli.init_app(app)
    metrics.init_app(app)
    for blueprint in (
        accounts_pages,
        home_page,
        ticket_pages,
        review_pages,
        notify_pages,
        workday_pages,
        cutover_pages,
        link_pages,
        overview_pages,
        inbox_pages,
        api.bp,
        service_endpoints,
    ):
        app.register_blueprint(blueprint)
    access.init_app(app)
    return app
