"""REST verbs of a state machine: `POST /api/v1/<resource>/<id>/<verb>` (DESIGN §6).

A ModelRestApi of an entity with a machine mixes this in and names its commands:

    class TransferApi(MachineVerbsMixin, ScopedModelRestApi):
        machine = transfers.MACHINE
        verb_commands = transfers.COMMANDS      # verb -> command(actor, now, id, remark=…)

Each verb appears in the OpenAPI document as a path of its own. The body may carry
`remark` (required where the transition says so) and `version` (the version the client
saw: a decision on a row changed since is refused). `GET /<id>/_verbs` lists the verbs the
caller may use now — what a page shows as buttons.
"""
from flask import abort, flash, g, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import protect

from app.views.core.scoping import current_user, now
from app.workflows.core.commands import abandon
from app.workflows.core.decisions import BulkResult
from app.workflows.core.errors import (
    AlreadyDecided, DomainError, NotFoundError, ValidationError, error_body)


DONE = {"type": "object", "required": ["id", "status", "verbs"], "properties": {
    "id": {"type": "integer"}, "status": {"type": "string"},
    "version": {"type": "integer", "nullable": True},
    "verbs": {"type": "array", "items": {"type": "string"}}}}


class MachineVerbsMixin:
    machine = None
    verb_commands: dict = {}

    def __init__(self, **kwargs):
        self.method_permission_name = {**(self.method_permission_name or {}),
                                       "fire_verb": "act", "verbs": "get"}
        super().__init__(**kwargs)

    def _shown(self, item) -> str:
        """The row's state in the words pages show (what REST answers as `status`)."""
        return self.machine.label_of(self.machine.state(item))

    def _verb_error(self, error: DomainError):
        return self.response(error.status, **error_body(error))

    @expose("/<int:pk>/<string:verb>", methods=["POST"])
    @protect()
    def fire_verb(self, pk, verb):
        """One step of the entity's state machine (the verbs are listed separately)."""
        command = self.verb_commands.get(verb)
        if command is None:
            return self.response(404, message=f"没有名为“{verb}”的操作")
        body = request.get_json(silent=True) or {}
        version, remark = body.get("version"), body.get("remark")
        try:
            if remark is not None and not isinstance(remark, str):
                raise ValidationError("remark（原因）须为文本", "remark")
            if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
                raise ValidationError("version（版本号）须为整数", "version")
            if version is not None:
                item = self.datamodel.get(pk, self._base_filters)
                if item is None:
                    raise NotFoundError("记录不存在")
                if getattr(item, "version", version) != version:
                    raise AlreadyDecided(f"该记录已被他人处理（当前状态："
                                          f"{self._shown(item)}），请刷新后再操作")
            item = command(g.user, now(), pk, remark=remark)
        except DomainError as error:
            abandon()
            return self._verb_error(error)
        return self.response(200, id=item.id, status=self._shown(item),
                             version=getattr(item, "version", None),
                             verbs=[t.event for t in self.machine.allowed(item, g.user, now())])

    @expose("/<int:pk>/_verbs", methods=["GET"])
    @protect()
    def verbs(self, pk):
        """The verbs the caller may use on this row now.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: the verbs the caller may use now, the row's state and version
              content:
                application/json:
                  schema:
                    type: object
                    required: [id, status, verbs]
                    properties:
                      id: {type: integer}
                      status: {type: string}
                      version: {type: integer, nullable: true}
                      verbs:
                        type: array
                        items:
                          type: object
                          properties:
                            verb: {type: string}
                            label: {type: string}
                            remark: {type: boolean, description: 须填写原因}
            404: {description: not a row you may see}
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self.response(200, id=item.id, status=self._shown(item),
                             version=getattr(item, "version", None),
                             verbs=[{"verb": t.event, "label": t.label, "remark": t.remark}
                                    for t in self.machine.allowed(item, g.user, now())])

    def add_api_spec(self, api_spec):
        """One OpenAPI path per verb instead of the generic /{pk}/{verb}."""
        super().add_api_spec(api_spec)
        generic = f"{self.route_base}/{{pk}}/{{verb}}"
        api_spec._paths.pop(generic, None)
        tag = self.openapi_spec_tag or self.__class__.__name__
        for verb in self.verb_commands:
            transitions = self.machine.events[verb]
            sources = sorted({s for t in transitions for s in t.sources})
            targets = sorted({t.target for t in transitions})
            needs_remark = any(t.remark for t in transitions)
            api_spec.path(path=f"{self.route_base}/{{pk}}/{verb}", operations={"post": {
                "tags": [tag],
                "summary": f"{transitions[0].label}（{verb}）",
                "description": f"状态为{'、'.join(map(self.machine.label_of, sources))}时可用，"
                               f"之后为{'、'.join(map(self.machine.label_of, targets))}。"
                               + ("须填写 remark（原因）。" if needs_remark else ""),
                "security": [{"jwt": []}],
                "parameters": [{"in": "path", "name": "pk", "required": True,
                                "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "remark": {"type": "string"}, "version": {"type": "integer"}}}}}},
                "responses": {
                    "200": {"description": "done: the row's new state, version and the verbs "
                                           "the caller may use next",
                            "content": {"application/json": {"schema": DONE}}},
                    "400": {"description": "refused, with the reason in Chinese"},
                    "403": {"description": "not yours to decide"},
                    "404": {"description": "not a row you may see"},
                    "409": {"description": "decided by someone else at the same moment"},
                },
            }})


def check_shown_version(machine, pk: int) -> None:
    """A decision page's form carries `version`, the row's version as the page showed it:
    a row changed since (decided by someone else) is refused, naming its state now, before
    the verb's command runs (issue 22). Without the field nothing is checked."""
    from app.extensions import db
    from app.workflows.core.scoping import get_scoped

    try:
        shown = int(request.form.get("version") or "")
    except ValueError:
        return
    item = get_scoped(db.session, machine.model, pk, current_user())
    if getattr(item, "version", shown) != shown:
        state = machine.label_of(machine.state(item, now()))
        raise AlreadyDecided(f"该记录已被他人处理（当前状态：{state}），"
                              f"请刷新页面后再操作")


def fire_from_page(machine, commands: dict, pk: int, verb: str, back: str):
    """A page's verb button (a form with an optional `remark` and the `version` shown):
    run the verb's command, say the outcome in a flash message and go `back`; a row the
    user may not see is a 404; a row changed since the page was shown is refused."""
    command = commands.get(verb)
    if command is None:
        abort(404, description="没有这种操作")
    try:
        check_shown_version(machine, pk)
        command(current_user(), now(), pk, remark=request.form.get("remark"))
    except DomainError as error:
        if error.status == 404:
            abort(404)
        flash(error.message, "danger")
    else:
        flash(f"已{machine.label(verb)}", "success")
    return redirect(back)


def flash_outcomes(result: BulkResult, done: str) -> None:
    """A bulk decision's outcome on the page, item by item: `done` with the count of rows
    decided (e.g. "已确认 {n} 条学时申请"), then each row refused or decided by someone else
    first, naming the row and the reason."""
    if result.done:
        flash(done.format(n=len(result.done)), "success")
    lines = result.messages()
    for line in lines[:20]:
        flash(line, "danger")
    if len(lines) > 20:
        flash(f"另有 {len(lines) - 20} 项未处理，请刷新列表查看", "danger")
    if not result.outcomes:
        flash("请先勾选要处理的记录", "warning")
