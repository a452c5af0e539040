"""VendorAssure: self-hosted assurance of AI suppliers against ISO/IEC 42001 Annex A."""

from __future__ import annotations

import os
from datetime import timedelta

# The scoring engine multiplies small matrices; BLAS worker threads only contend with the web
# workers for the cores (measured: the batch plan step ran 3x slower with them on 2 cores).
# Set before numpy is first imported; an explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from flask import Flask  # noqa: E402


def create_app(config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error handlers, commands."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or os.path.join(root, "instance"),
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    from .config import load_settings

    app.config.update(load_settings(app.instance_path))
    if config:
        app.config.update(config)
    # Room for multipart overhead above the evidence limit; the service checks the file itself.
    app.config["MAX_CONTENT_LENGTH"] = (app.config["MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    finalise_settings(app)
    register_converters(app)
    # The browser drops the cookie at the absolute lifetime too; the server checks both anyway.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    register_extensions(app)
    register_observability(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def finalise_settings(app: Flask) -> None:
    """Derive settings that depend on others, and refuse unsafe combinations at start-up."""
    from .config import check_csp, engine_options, hsts_header
    from .ratelimit import check_storage, storage_uri

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    app.config["HSTS_HEADER"] = hsts_header(app.config)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    check_csp(app.config["CONTENT_SECURITY_POLICY"])
    check_storage(app)


def register_converters(app: Flask) -> None:
    """Make <int:...> in every route refuse numbers no database id can hold (404, not a 500)."""
    from werkzeug.routing import IntegerConverter

    from .validation import ID_REGEX, MAX_INT

    class BoundedIntConverter(IntegerConverter):
        # Out-of-range ids do not match at all, so they are 404 (not 405 from a sibling rule).
        regex = ID_REGEX

        def __init__(self, map, *args, **kwargs):
            kwargs.setdefault("max", MAX_INT)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = BoundedIntConverter


def register_extensions(app: Flask) -> None:
    from . import models, ratelimit  # noqa: F401  (tables on the metadata; database:// storage)
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale

    db.init_app(app)
    from .queries import snapshot

    with app.app_context():  # writes raise their tables' generations, snapshots read them
        snapshot.install(db.engine)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", os.path.join(app.root_path, "translations")
    )
    babel.init_app(app, locale_selector=select_locale)
    from . import i18n

    i18n.register(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    from .web.sessions import load_user

    login_manager.user_loader(load_user)

    @app.before_request
    def _load_user_per_request():
        # Flask-Login caches the user on `g`; where one app context serves several requests
        # (tests, embedded callers) the session must still be checked on every request.
        from flask import g

        g.pop("_login_user", None)
        g.pop("inbox_unread", None)
        g.pop("csrf_token", None)  # Flask-WTF's token of the previous request's session


def register_observability(app: Flask) -> None:
    from .observability import bp, register

    register(app)
    app.register_blueprint(bp)


def register_blueprints(app: Flask) -> None:
    from .api import bp as api_bp
    from .extensions import csrf
    from .web.account import bp as account_bp
    from .web.admin import bp as admin_bp
    from .web.auth import bp as auth_bp
    from .web.chain import bp as chain_bp
    from .web.inbox import bp as inbox_bp
    from .web.main import bp as main_bp
    from .web.portal import bp as portal_bp
    from .web.procurement import bp as procurement_bp
    from .web.review import bp as review_bp

    csrf.exempt(api_bp)  # bearer tokens are not ambient credentials
    for bp in (
        main_bp,
        auth_bp,
        account_bp,
        procurement_bp,
        portal_bp,
        review_bp,
        admin_bp,
        inbox_bp,
        chain_bp,
        api_bp,
    ):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .web.helpers import register

    register(app)
