"""One upload / preview / 正式导入 page, one REST resource and one CLI verb for every import
kind (app/workflows/core/importing): a kind brings its columns, params and rules; these
views only parse the request, call the batch commands and render.

Pages:  /imports/<kind>/            upload (the kind's params, template link, rules)
        /imports/<kind>/template.xlsx
        /imports/preview/<token>    counts by the manual's categories, notes, errors, 正式导入
        /imports/status/<token>     progress of a background preview (JSON, polled)
        /imports/commit/<token>     POST
        /imports/report/<token>.xlsx  the uploaded rows plus 错误说明
REST:   POST /api/v1/import/<kind>/preview (multipart file + params) → the preview JSON
        GET /api/v1/import/<token>; POST /api/v1/import/<token>/commit {"confirm": bool}
        GET /api/v1/import/<kind>/template
CLI:    flask --app run.py import <cli_name> [--<param> …] FILE [--commit] [--confirm]
"""
import io
import json
from pathlib import Path

import click
from flask import Response, abort, flash, g, jsonify, redirect, request, send_file, url_for
from flask.cli import AppGroup, with_appcontext
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi
from flask_appbuilder.security.decorators import has_access, protect

from app import clock
from app.models import ImportStatus
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now
from app.workflows.core.errors import DomainError, NotFoundError, ValidationError
from app.workflows.core.importing import MAX_BYTES, error_report, template
from app.workflows.core.importing import batches
from app.workflows.core.importing.kinds import KINDS, kind_named
from app.workflows.core.scoping import SystemActor, is_institute
from app.workflows.core.labels import label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 200
LISTING_PAGE = 50  # people per page of the preview's listing


def _kind_or_404(name):
    try:
        return kind_named(name)
    except NotFoundError:
        abort(404)


def _params_from(values, kind) -> dict:
    params = {}
    for param in kind.params:
        if param.multiple:
            chosen = [v for raw in values.getlist(param.name) for v in str(raw).split(",") if v]
            params[param.name] = chosen
        else:
            params[param.name] = (values.get(param.name) or "").strip()
    return params


def _read_upload(field="file"):
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise ValidationError("请选择要上传的文件", field)
    return upload.filename, upload.read(MAX_BYTES + 1)


class ImportView(BaseView):
    """The generic pages of every import kind (permission can_import on Import)."""

    route_base = "/imports"
    class_permission_name = "Import"
    method_permission_name = {name: "import" for name in (
        "upload", "template_file", "preview", "status", "commit", "report")}
    default_view = "upload"

    def _param_fields(self, kind, user):
        fields = []
        for param in kind.params:
            if param.institute_only and not is_institute(user):
                continue
            choices = param.choices(user) if param.choices else None
            fields.append({"param": param, "choices": choices,
                           "selected": request.values.getlist(param.name) if param.multiple
                           else request.values.get(param.name, "")})
        return fields

    @expose("/<string:kind_name>/", methods=["GET", "POST"])
    @has_access
    @refusals(form="_upload_form")
    def upload(self, kind_name):
        kind = _kind_or_404(kind_name)
        user = current_user()
        kind.authorize(user)  # not this user's import: the app's 403 page
        if request.method == "POST":
            filename, data = _read_upload()
            batch = batches.upload(user, now(), kind.name, filename, data,
                                   _params_from(request.form, kind))
            if batches.MACHINE.state_allows(batch, "check"):  # a large file: a worker checks it
                batches.start_worker(batch)
            return redirect(url_for(".preview", token=batch.token))
        return self._upload_form(kind_name)

    def _upload_form(self, kind_name):
        kind = _kind_or_404(kind_name)
        user = current_user()
        kind.authorize(user)
        own_firm = None if is_institute(user) else getattr(user.account, "firm", None)
        return self.render_template(
            "core/import_upload.html", title=f"导入{kind.title}", kind=kind,
            reader=kind.reader(_params_from(request.values, kind)),
            fields=self._param_fields(kind, user), own_firm=own_firm)

    @expose("/<string:kind_name>/template.xlsx")
    @has_access
    def template_file(self, kind_name):
        kind = _kind_or_404(kind_name)
        reader = kind.reader(_params_from(request.args, kind))
        return send_file(io.BytesIO(template(reader)), mimetype=XLSX, as_attachment=True,
                         download_name=f"{reader.title}模板.xlsx")

    def _batch(self, token):
        return batches.find(current_user(), token)  # none of the user's: the app's 404

    @expose("/preview/<string:token>")
    @has_access
    def preview(self, token):
        batch = self._batch(token)
        kind = kind_named(batch.kind)
        summary = batches.summary_of(batch)
        listing = summary.get("listing") or []
        categories = list(dict.fromkeys(item["category"] for item in listing))
        category = request.args.get("category", "")
        if category in categories:
            listing = [item for item in listing if item["category"] == category]
        else:
            category = ""
        pages = max((len(listing) + LISTING_PAGE - 1) // LISTING_PAGE, 1)
        page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
        # the rows the error table names: marked in the listing, never headed 「无错误的行」
        wrong_rows = {e.get("row") for e in summary.get("errors", []) if e.get("row")}
        confirm_category = summary.get("confirmation_category")
        return self.render_template(
            "core/import_preview.html", title=f"{kind.title}导入预览", batch=batch, kind=kind,
            summary=summary, errors=summary.get("errors", [])[:SHOWN_ERRORS],
            listing=listing[(page - 1) * LISTING_PAGE:page * LISTING_PAGE],
            listing_total=len(listing), page=page, pages=pages, category=category,
            categories=categories, wrong_rows=wrong_rows,
            confirm_names=[item["name"] for item in summary.get("listing") or []
                           if confirm_category and item["category"] == confirm_category],
            checking=batches.MACHINE.state_allows(batch, "check"),
            committed=batches.MACHINE.reached(batch, "commit"),
            committable=batches.MACHINE.state_allows(batch, "commit"),
            params={k: v for k, v in batches.params_of(batch).items() if v},
            local=clock.display)

    @expose("/status/<string:token>")
    @has_access
    def status(self, token):
        batch = self._batch(token)
        return jsonify(status=label(batch), progress=batch.progress,
                       done=not batches.MACHINE.state_allows(batch, "check"))

    @expose("/commit/<string:token>", methods=["POST"])
    @has_access
    @refusals(back=".preview")
    def commit(self, token):
        batch = self._batch(token)
        kind = kind_named(batch.kind)
        result = batches.commit(current_user(), now(), token,
                                confirm=bool(request.form.get("confirm")))
        flash(kind.done_message(result), "success")
        return redirect(url_for(kind.done_endpoint) if kind.done_endpoint
                        else url_for(".preview", token=token))

    @expose("/report/<string:token>.xlsx")
    @has_access
    def report(self, token):
        batch = self._batch(token)
        if not batch.rows:
            abort(404)
        kind = kind_named(batch.kind)
        data = error_report(kind.reader(batches.params_of(batch)), json.loads(batch.rows),
                            batches.summary_of(batch).get("listing"))
        return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"{kind.title}_错误说明_{batch.id}.xlsx")


class ImportApiMixin:
    """The REST verbs of an import, shared by the generic `import` resource and aliases."""

    # a refusal (bad file, not yours, nothing to commit) is answered by the app's handler:
    # the one JSON body {message, field?} with its status

    def _preview(self, kind_name):
        kind = kind_named(kind_name)
        upload = request.files.get("file")
        if upload is None:
            raise ValidationError("请上传文件（字段 file）", "file")
        # a script waits for its answer: the preview is always made in the request
        batch = batches.upload(g.user, now(), kind.name, upload.filename,
                               upload.read(MAX_BYTES + 1), _params_from(request.form, kind),
                               background=False)
        return self.response(200, **batches.summary_of(batch))

    def _get(self, token, kind_name=None):
        batch = batches.find(g.user, token, kind_name)
        return self.response(200, **batches.summary_of(batch))

    def _commit(self, token, kind_name=None):
        body = request.get_json(silent=True) or {}
        confirm = bool(body.get("confirm") or body.get("confirm_mass_revoke"))
        result = batches.commit(g.user, now(), token, confirm=confirm, kind_name=kind_name)
        return self.response(200, **result)

    def _template(self, kind_name):
        kind = kind_named(kind_name)
        return Response(template(kind.reader(_params_from(request.args, kind))), mimetype=XLSX, headers={
            "Content-Disposition": f"attachment; filename={kind.name}_template.xlsx"})


class ImportApi(ImportApiMixin, BaseApi):
    """REST `import`: preview, read and commit a batch of any import kind."""

    resource_name = "import"
    class_permission_name = "Import"
    method_permission_name = {"preview": "import", "get": "import", "commit": "import",
                              "template": "import"}
    allow_browser_login = True
    openapi_spec_tag = "Import"

    @expose("/<string:kind_name>/preview", methods=["POST"])
    @protect()
    def preview(self, kind_name):
        """Check a file for an import kind; change nothing.
        ---
        post:
          description: >-
            multipart field `file`, plus the kind's params (e.g. `firm` for staff, the
            class ids for in-house rosters). Returns the preview JSON with its token.
          parameters:
          - {in: path, name: kind_name, required: true, schema: {type: string}}
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
          responses:
            200:
              description: the preview (token, counts, errors by row)
              content: {application/json: {schema: {type: object, required: [token, kind, status], properties: {token: {type: string}, kind: {type: string}, status: {type: string}, total: {type: integer}, valid: {type: integer}, committable: {type: boolean}, errors: {type: array, items: {type: object}}, counts: {type: object}}}}}
            400: {description: bad input, in Chinese}
            403: {description: not yours to import}
        """
        return self._preview(kind_name)

    @expose("/<string:token>", methods=["GET"])
    @protect()
    def get(self, token):
        """The preview of a token.
        ---
        get:
          parameters:
          - {in: path, name: token, required: true, schema: {type: string}}
          responses:
            200:
              description: the preview (token, counts, errors by row)
              content: {application/json: {schema: {type: object, required: [token, kind, status], properties: {token: {type: string}, kind: {type: string}, status: {type: string}, total: {type: integer}, valid: {type: integer}, committable: {type: boolean}, errors: {type: array, items: {type: object}}, counts: {type: object}}}}}
            404: {description: no such preview for you}
        """
        return self._get(token)

    @expose("/<string:token>/commit", methods=["POST"])
    @protect()
    def commit(self, token):
        """Apply the previewed plan, once.
        ---
        post:
          parameters:
          - {in: path, name: token, required: true, schema: {type: string}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    confirm: {type: boolean}
          responses:
            200:
              description: "imported (the preview with the kind's totals)"
              content: {application/json: {schema: {type: object, required: [token, kind, status], properties: {token: {type: string}, kind: {type: string}, status: {type: string}, total: {type: integer}, valid: {type: integer}, committable: {type: boolean}, errors: {type: array, items: {type: object}}, counts: {type: object}}}}}
            400: {description: refused, with the reason}
            404: {description: no such preview for you}
            409: {description: committed by someone else at the same moment}
        """
        return self._commit(token)

    @expose("/<string:kind_name>/template", methods=["GET"])
    @protect()
    def template(self, kind_name):
        """The .xlsx template of a kind.
        ---
        get:
          parameters:
          - {in: path, name: kind_name, required: true, schema: {type: string}}
          responses:
            200:
              description: the .xlsx template
              content: {application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {schema: {type: string, format: binary}}}
        """
        return self._template(kind_name)


def import_cli() -> AppGroup:
    """`import <cli_name>` for every registered kind: prints the preview JSON, changes
    nothing unless --commit (DESIGN §6)."""
    group = AppGroup("import", help="导入（先预览；加 --commit 才会写入）")
    for kind in KINDS.values():
        group.add_command(_kind_command(kind))
    return group


def _kind_command(kind):
    def run(file, do_commit, confirm, **params):
        actor = SystemActor("命令行")
        path = Path(file)
        chosen = {name: ([v for v in value.split(",") if v] if isinstance(value, str)
                         and any(p.multiple and p.name == name for p in kind.params)
                         else value) for name, value in params.items() if value is not None}
        try:
            batch = batches.upload(actor, clock.now(), kind.name, path.name, path.read_bytes(),
                                   chosen, background=False)
            result = batches.summary_of(batch)
            if do_commit and batches.MACHINE.state_allows(batch, "commit"):
                result = batches.commit(actor, clock.now(), batch.token, confirm=confirm)
        except DomainError as error:
            click.echo(json.dumps({"error": error.message}, ensure_ascii=False), err=True)
            raise SystemExit(1) from None
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        committed = batches.MACHINE.label_of(ImportStatus.COMMITTED)  # the answer's words
        if result.get("errors") or (do_commit and result["status"] != committed):
            raise SystemExit(1)

    command = click.argument("file", type=click.Path(exists=True, dir_okay=False))(
        with_appcontext(run))
    command = click.option("--commit", "do_commit", is_flag=True, help="预览无误后正式导入")(command)
    command = click.option("--confirm", "--confirm-mass-revoke", "confirm", is_flag=True,
                           help="确认预览要求再次确认的内容（如撤销超过20%的在册人员）")(command)
    for param in reversed(kind.params):
        command = click.option(f"--{param.name.replace('_', '-')}", param.name,
                               required=param.required, help=param.label)(command)
    return click.command(kind.cli_name or kind.name, help=f"导入{kind.title}")(command)
