"""The view machinery every domain shares: row scoping, exports, forms, the generic import
pages, file downloads and what every response goes through (hardening)."""
from app.domains import Domain
from app.roles import FIRM_ADMIN, STAFF
from app.workflows.core import files, mail, sms_tencent, wechat
from app.workflows.core.importing import batches

# permissions on the core views (each domain adds its own in its DOMAIN)
PERMISSIONS = {
    STAFF: [["Import", "can_import"]],
    FIRM_ADMIN: [["Import", "can_import"]],
}


def register(appbuilder, app) -> None:
    """The core's own pages and APIs (no menu entries: domains link to them)."""
    from app.views.core import navigation, qr
    from app.views.core.imports import ImportApi, ImportView
    from app.views.core.scoping import raise_upload_limit
    from app.views.core.visibility import install as install_visibility
    from app.workflows.core.institute import identity

    qr.install(app)
    app.context_processor(lambda: {"institute": identity()})  # {{ institute.name }}

    # ahead of the CSRF check, which reads (and so limits) the body first
    app.before_request_funcs.setdefault(None, []).insert(0, raise_upload_limit)
    install_visibility(app)  # menus and buttons shown only to whom they work for
    navigation.install(app, appbuilder)  # each role's navbar, in the manuals' order
    appbuilder.add_view_no_menu(ImportView)
    appbuilder.add_api(ImportApi)


def cli(app) -> None:
    """The core's commands: `import <kind> … FILE [--commit]`."""
    from app.views.core.imports import import_cli

    app.cli.add_command(import_cli())


# The core's own declaration, registered by create_app ahead of the domains' (app/domains.py)
DOMAIN = Domain(
    name="core", register=register, permissions=PERMISSIONS, cli=cli,
    jobs=(mail.deliver_outbox, sms_tencent.deliver_sms, wechat.deliver_wechat,
          files.purge_held_files, batches.sweep_import_batches),
    file_owners={**mail.FILE_OWNERS, **batches.FILE_OWNERS},
)
