"""Application factory: config, database, AppBuilder, views, APIs, CLI, scheduler."""
import logging
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import inspect
from werkzeug.routing import Rule

from config import Config, load_secret_key

log = logging.getLogger(__name__)


class LazyBuilderRule(Rule):
    """Werkzeug's Rule, compiling its two URL builders on first use instead of at start.

    Werkzeug compiles both builders of every rule (Python source through `ast` and
    `compile`) as the rule is added: for our ~250 rules that was about a third of a CLI
    command's or a worker's start-up, which builds a handful of URLs at most. Matching is
    unchanged; `url_for` compiles a rule's builder the first time it is asked for it.
    """

    def _compile_builder(self, append_unknown: bool = True):
        rule = self
        attribute = "_build_unknown" if append_unknown else "_build"

        def build_on_first_use(_self, **values):
            compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, attribute, compiled)
            return compiled(**values)

        return build_on_first_use


def schema_ready(db) -> bool:
    """True once `flask db upgrade` has created FAB's tables."""
    return "ab_permission_view_role" in inspect(db.engine).get_table_names()


def sync_permissions(app) -> bool:
    """Write every view's permissions and the built-in roles (FAB_ROLES) into the database.

    Run by `flask db upgrade` after the migrations, so a deployment (and `make run`) always
    has them; False when the schema is not there yet.
    """
    from app import clock
    from app.extensions import db
    from app.workflows.core import commands
    from app.workflows.core.scoping import SystemActor

    if not schema_ready(db):
        return False
    appbuilder = app.appbuilder

    if not _sync_in_one_transaction(appbuilder):
        _sync(appbuilder)  # something was rolled back on the way: again, FAB's way
    commands.save(SystemActor("权限同步"), clock.now())
    return True


def _sync(appbuilder) -> None:
    appbuilder.sm.seed_roles()  # Admin, Public and the built-in roles (no create_all: ours)
    appbuilder.add_permissions(update_perms=True)  # every view's permissions, given to Admin


def _sync_in_one_transaction(appbuilder) -> bool:
    """`_sync` with FAB's commits turned into flushes: FAB commits after each permission it
    adds, which expires the Admin role, whose permission list (hundreds of rows) is then
    loaded again before the next one is appended — on an empty database 1,100 commits and
    as many reloads (7 s; every `flask db upgrade`, the test run's template, the migration
    tests). One transaction, committed by the caller. False when FAB rolled back on the way
    (it logs and goes on after a failed add): what it had flushed is gone, so the caller
    syncs again the usual way."""
    session = appbuilder.session
    rolled_back = []
    rollback = session.rollback
    session.commit = session.flush
    session.rollback = lambda: (rolled_back.append(True), rollback())
    try:
        _sync(appbuilder)
    finally:
        del session.commit, session.rollback
    return not rolled_back


# `flask --app run.py <command>` commands that serve no page: their app is built without
# views, APIs and menus (pages=False), the largest part of start-up (platform issue: a
# command starts in <= 1.5 s). Workflows never need a view (imports flow views → workflows).
PAGELESS_COMMANDS = frozenset({"jobs", "cpe", "import", "export"})


def pages_needed(argv) -> bool:
    """False when `argv` is the flask CLI running one of PAGELESS_COMMANDS."""
    if not argv or Path(argv[0]).name != "flask":
        return True
    words = iter(argv[1:])
    for word in words:
        if word in ("--app", "-A", "--env-file", "-e"):
            next(words, None)
        elif not word.startswith("-"):
            return word not in PAGELESS_COMMANDS
    return True


def create_app(config_class=Config, pages: bool = True) -> Flask:
    """The application. `pages=False` (CLI commands that serve no page) registers no
    views, APIs or menus; everything else — models, scopes, audit, jobs, commands — is
    the same."""
    from app.workflows.core import audit  # noqa: F401  (registers the audit-log session hook)
    from app.workflows.hours import verdicts  # noqa: F401  (registers the kept-verdict hook)
    from app.extensions import csrf, db, migrate
    from app.i18n import compile_catalogs, skip_translation_for_private_names
    from app import domains as domain_list
    from app.roles import fab_roles
    from app.views import HomeView
    from app.views import core as core_views
    from app.views.core import bad_input, hardening

    domains = domain_list.load()

    app = Flask(__name__, instance_path=str(Path(config_class.INSTANCE_DIR).resolve()))
    app.url_rule_class = LazyBuilderRule
    bad_input.install_converters(app)  # before any rule is added
    app.config.from_object(config_class)
    app.config["FAB_ROLES"] = fab_roles(domains, core_views.DOMAIN.permissions)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(Path(app.instance_path))
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    # our catalog fills what FAB's zh catalog lacks; .mo files are generated, not kept in git
    compile_catalogs(Path(__file__).resolve().parent / "translations")
    skip_translation_for_private_names()

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # a file on this machine has no server to drop the connection: no ping (a SELECT 1)
        # before each request's first statement; a server database keeps it
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "pool_pre_ping": False}
    db.init_app(app)
    from app.workflows.core.acting import check_actor_declarations
    from app.workflows.core.scoping import app_models, check_declarations

    check_declarations(app_models(db.Model.registry))  # a model without a scope stops here
    check_actor_declarations(app_models(db.Model.registry))
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)

    with app.app_context():
        # Permissions and roles are synced by `flask db upgrade` (migrations/env.py calls
        # sync_permissions), not at every start: a CLI command or a worker starts in well
        # under two seconds instead of re-writing every permission each time.
        appbuilder = AppBuilder(indexview=HomeView, update_perms=False)
        appbuilder.init_app(app, db.session)
        # every declaration registered here, once: importing a module registers nothing
        domain_list.install([core_views.DOMAIN, *domains])
        from app.workflows.core.hooks import connect_all

        connect_all(pair for domain in domains for pair in domain.hooks)
        if pages:
            core_views.DOMAIN.register(appbuilder, app)
            for domain in domains:
                domain.register(appbuilder, app)
            hardening.install(app, appbuilder)
        from app.views.core import security as security_views

        security_views.install_labels(app)

    from app.cli import register_cli

    register_cli(app)
    core_views.DOMAIN.cli(app)
    for domain in domains:
        if domain.cli is not None:
            domain.cli(app)
    if app.config.get("SCHEDULER_ENABLED"):
        from app.scheduler import start_scheduler

        start_scheduler(app)
    return app
