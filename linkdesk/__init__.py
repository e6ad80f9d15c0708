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

    app.config.from_object(config.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    config.from_environment(app.config)
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.finalize(app)

    from . import (  # noqa: F401
        access,
        admin,
        api,
        auth,
        cli,
        cutover_calendar,
        errors,
        extensions,
        link_pages,
        main,
        models,
        review,
        tickets,
        ui,
        workday_pages,
    )

    extensions.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    ui.init_app(app)
    cli.init_app(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(tickets.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(workday_pages.bp)
    app.register_blueprint(cutover_calendar.bp)
    app.register_blueprint(link_pages.bp)
    app.register_blueprint(api.bp)
    access.init_app(app)
    return app
