"""An import kind: declarations plus three hooks, on the generic batch (batches.py).

    class StaffRoster(ImportKind):
        name = "staff"; title = "从业人员名单"; columns = (Column(...), ...)
        params = (Param("firm", "事务所", ...),)
        def context(self, actor, params): ...    # resolve and authorise what was chosen
        def plan(self, ctx, parsed, actor, now): ...  # → Plan: counts by the manual's labels
        def apply(self, ctx, data, actor, now, options): ...   # write exactly the plan

Like Superset's ImportModelsCommand, every problem is collected before anything is
written: `parse` checks cells and rows (the kind's `check_row` adds cross-field rules such
as 是否注师 = 是 → 证书编号 required), `plan` checks the file against the database and
files its rows under the manual's categories (the preview's counts), and `apply` runs only
for a preview without problems, once, in one transaction.
"""
import dataclasses
import datetime as dt
from typing import Callable

from app.workflows.core.errors import NotFoundError
from app.workflows.core.importing.reading import Column, Problem, Row  # noqa: F401

KINDS: dict[str, "ImportKind"] = {}


@dataclasses.dataclass(frozen=True)
class Param:
    """Something chosen with the file (the firm, the classes, the mode)."""

    name: str
    label: str
    required: bool = True
    multiple: bool = False
    # (actor) -> [(value, label)]: the choices the upload page offers this actor
    choices: Callable | None = None
    # only the institute chooses it (a firm admin's own firm is implied)
    institute_only: bool = False
    help: str = ""


@dataclasses.dataclass
class Plan:
    """What a commit will do, and what the preview shows of it."""

    data: dict  # what apply() needs, JSON-able
    counts: dict  # the manual's categories, in the order shown
    totals: dict = dataclasses.field(default_factory=dict)  # the kind's own totals
    notes: list = dataclasses.field(default_factory=list)  # shown above the counts
    confirmation: str | None = None  # a second, explicit confirmation this needs
    fingerprint: str | None = None  # of the data the plan was checked against
    extra: dict = dataclasses.field(default_factory=dict)  # more preview fields
    # the people (or records) behind each count: {"category", "row", "name", "detail"}
    listing: list = dataclasses.field(default_factory=list)
    # the listing category the confirmation is about (e.g. "撤销"): its names are shown with it
    confirmation_category: str | None = None


class ImportKind:
    """Subclass and declare; the owning domain lists the instance in DOMAIN.import_kinds
    and create_app registers it (`register_kind`). Constructing one registers nothing."""

    name = ""  # in URLs and batches
    cli_name = ""  # `flask --app run.py import <cli_name> …`
    title = ""  # 从业人员名单
    sheet_title = "名单"
    columns: tuple = ()
    unique_keys: tuple = ()
    example: tuple = ()
    example_apart = False  # the template's example on a 填写说明 sheet the import never reads
    rules: tuple = ()  # the manual's rules, shown on the upload page
    params: tuple = ()
    ttl = dt.timedelta(minutes=30)
    total_label = "待导入总人数"
    error_label = "错误行数"
    unit = "人"
    done_endpoint = None  # where the page goes after 正式导入
    template_args: dict = {}  # query arguments of this reader's template link (e.g. mode)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def kind(self) -> str:  # what reading.parse calls the importer
        return self.name

    # --- hooks -------------------------------------------------------------------------
    def reader(self, params: dict) -> "ImportKind":
        """What reads the file for these params: its columns, rules, example and check_row
        (the template, the parse and the error report use it). A kind whose template
        depends on a param (the in-house roster's bulk / special mode) returns a variant."""
        return self

    def authorize(self, actor) -> None:
        """May `actor` use this import at all? Raise ForbiddenError if not."""

    def context(self, actor, params: dict) -> dict:
        """Resolve and authorise the chosen params; returns a JSON-able context, with
        `firm_id` when the batch belongs to a firm (its scope)."""
        return {}

    def check_row(self, row: Row) -> None:
        """Cross-field rules of one row: append Problems to row.problems."""

    def plan(self, ctx: dict, parsed, actor, now) -> Plan:
        raise NotImplementedError

    def fingerprint(self, ctx: dict, data: dict) -> str | None:
        """Recomputed at commit: a change since the preview makes the commit refuse."""
        return None

    def apply(self, ctx: dict, data: dict, actor, now, options: dict) -> dict:
        raise NotImplementedError

    def done_message(self, result: dict) -> str:
        return f"正式导入完成：成功导入{result.get('imported', 0)}{self.unit}"


def register_kind(kind: ImportKind) -> ImportKind:
    """Put `kind` in KINDS (create_app does, for each domain's DOMAIN.import_kinds). The
    same kind again is a no-op; another kind under a name already taken is refused."""
    if not kind.name:
        raise ValueError("an import kind needs a name")
    known = KINDS.get(kind.name)
    if known is not None and known is not kind:
        raise RuntimeError(f"import kind {kind.name!r} is registered twice "
                           f"({type(known).__module__}.{type(known).__name__} and "
                           f"{type(kind).__module__}.{type(kind).__name__})")
    KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> ImportKind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFoundError(f"没有名为“{name}”的导入")
    return kind
