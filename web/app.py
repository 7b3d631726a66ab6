"""The Flask application factory. It never migrates, seeds or starts the scheduler."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from db.engine import make_engine, make_session_factory
from db.settings import Settings, ensure_secret_key, load_settings
from web import database, errors, filters, i18n
from web.auth.session import load_user

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(settings: Settings | None = None, database_override: Any = None) -> Flask:
    """Build the app from ``settings`` (default: the environment).

    :param database_override: a ``web.database.Database`` to use instead of one built from
        the settings (tests bind it to a connection they roll back).
    """
    settings = ensure_secret_key(settings or load_settings())
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        REMTRACK=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_NAME="remtrack_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024 + 64 * 1024,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        BABEL_TRANSLATION_DIRECTORIES="translations",
    )
    if database_override is None:
        engine = make_engine(settings.database_url)
        database_override = database.Database(engine, make_session_factory(engine))
    database.init_app(app, database_override)

    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.LOGIN_REQUIRED
    login_manager.login_message_category = "info"

    _register_blueprints(app)
    errors.init_app(app)
    i18n.init_app(app)
    filters.init_app(app)
    app.logger.setLevel(logging.INFO)
    return app


def _register_blueprints(app: Flask) -> None:
    from web.accountability.views import bp as accountability_bp
    from web.admin.views import bp as admin_bp
    from web.auth.views import bp as auth_bp
    from web.conclusions.views import bp as conclusions_bp
    from web.designer.views import bp as designer_bp
    from web.escalations.views import bp as escalations_bp
    from web.imports.views import bp as imports_bp
    from web.inbox.views import bp as inbox_bp
    from web.main.views import bp as main_bp
    from web.monitor.views import bp as monitor_bp
    from web.notifications.views import bp as notifications_bp
    from web.processes.views import bp as processes_bp
    from web.requirements.views import bp as requirements_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(processes_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(designer_bp)
    app.register_blueprint(escalations_bp)
    app.register_blueprint(accountability_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(conclusions_bp)
    app.register_blueprint(requirements_bp)
    app.register_blueprint(monitor_bp)
