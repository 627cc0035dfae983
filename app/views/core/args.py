"""What pages and APIs read from a request, the one way: whole numbers in a range (an
unreadable or out-of-range value is as if not given), the page number and one page of a
list, a JSON body that must be an object, and hours as the pages show them (one decimal)."""
import dataclasses
from decimal import Decimal

from flask import current_app, request

from app.extensions import db
from app.workflows.core import sql
from app.workflows.core.errors import ValidationError

MAX_PAGE = 100000


def int_arg(name: str, low: int = 1, high: int = 9999) -> int | None:
    """`?name=` as a whole number within [low, high], else None."""
    value = request.args.get(name) or ""
    try:
        number = int(value)
    except ValueError:
        return None
    return number if low <= number <= high else None


def page_number() -> int:
    """`?page=` kept within 1 … MAX_PAGE (anything unreadable: page 1)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), MAX_PAGE))
    except ValueError:
        return 1


def hours_text(value) -> str:
    """Hours with one decimal (46.5); nothing for none."""
    return f"{Decimal(value):.1f}" if value is not None else ""


@dataclasses.dataclass
class Page:
    """One page of a list: its rows, the total, this page's number, how many pages, and the
    offset of its first row (for 序号) — `**page.args()` into the template."""
    rows: list
    total: int
    page: int
    pages: int
    offset: int

    def args(self) -> dict:
        return {"rows": self.rows, "total": self.total, "page": self.page,
                "pages": self.pages, "offset": self.offset}


def page_size() -> int:
    """Rows per page of every list the app draws itself (LIST_PAGE_SIZE, 20): one setting,
    so the statement-count test can open each list at two sizes."""
    return current_app.config.get("LIST_PAGE_SIZE", 20)


def paged(query, size: int | None = None, *, scalars: bool = True) -> Page:
    """The page `?page=` asks for of an ordered query (ORM rows, or Row tuples); a number
    past the last page answers the last page, one past MAX_PAGE never reaches the SQL.
    `size`: rows per page (default `page_size()`)."""
    size = size or page_size()
    number = page_number()
    rows, total = sql.page(db.session, query, number, size, scalars=scalars)
    pages = max(1, -(-total // size))
    if number > pages:  # beyond the last page (an old link, a hand-typed number): the last
        number = pages
        rows, total = sql.page(db.session, query, number, size, scalars=scalars)
    return Page(rows=rows, total=total, page=number, pages=pages, offset=(number - 1) * size)


def json_body() -> dict:
    """A REST call's JSON body, which must be an object (else ValidationError in Chinese)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("请求体须为JSON对象")
    return body


VERSION_PREFIX = "version_"


def shown_versions(prefix: str = VERSION_PREFIX) -> dict[int, int]:
    """The version of each row a decision page showed (hidden `version_<id>` fields):
    {row id: version}. A decision on a row changed since is refused (the machine's
    expected_version), so a second member of staff deciding the same row is told."""
    found = {}
    for key, value in request.form.items():
        if not key.startswith(prefix):
            continue
        try:
            pk, version = int(key[len(prefix):]), int(value)
        except ValueError:
            continue
        if 0 < pk < 2**31 and 0 < version < 2**31:
            found[pk] = version
    return found
