"""Issue 28: the SQL statements a list page issues do not grow with its page size.

Every list a signed-in user reaches — each navbar entry of the account, the tabs on those
pages, every FAB ModelView list the account may open, and the id pages that list a record's
rows (a class's enrollments and roster) — is opened on `demo seed`'s data at two page sizes
(the app's own lists read LIST_PAGE_SIZE, a ModelView `psize_<View>`), as staff, as a firm
admin and as members (a CPA and a firm's 从业人员). A page whose count grows with the rows
it shows loads something row by row (an N+1): load it with the list's query instead
(joined/selectin loading in the view's query or the datamodel).

Statements are counted with a `before_cursor_execute` listener on the engine, after one
warm-up request of the page. A list with too few rows at the larger size to tell the two
apart is reported as not told apart; the lists named in the issue must be told apart.
"""
import re
from urllib.parse import urlsplit

import pytest
from flask_appbuilder.views import ModelView
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from tests.helpers import past_first_login

SMALL, LARGE = 5, 25
NAV_RE = re.compile(r'<div class="navbar-collapse collapse">(.*?)</header>', re.S)
TABS_RE = re.compile(r'<ul class="nav nav-(?:tabs|pills)[^"]*"[^>]*>(.*?)</ul>', re.S)
LINK_RE = re.compile(r'href="(/[^"#]*)"')
ROW_RE = re.compile(r"<tr[\s>]")
SKIP = ("/logout", "/static/", "/export", "format=", "/download", ".ics", "/files/")

# account → lists that must show more rows at the larger size on the demo data (so the
# count is really told apart there): the N+1s the issue measured, and the daily lists
MUST_TELL_APART = {
    "staff": {"/registration/records/", "/inhouse/review/entry/", "/personview/list/",
              "/hours/details/", "/auditlogview/list/"},
    "P11010001": {"/personview/list/", "/hours/details/"},
}


def _accounts(demo_output):
    listed = dict(re.findall(r"^\w+\s+(\S+)\s+(\S+)", demo_output, flags=re.M))
    kj = next(login for login in listed if login.startswith("kj"))
    return {login: listed[login] for login in ("staff", "P11010001", "110100010001", kj)}


def _model_views(app):
    """{"/<route>/list/": view name} of every FAB ModelView."""
    return {f"{v.route_base}/list/": type(v).__name__ for v in app.appbuilder.baseviews
            if isinstance(v, ModelView)}


def _id_lists(app):
    """Pages listing one record's rows, at the record with the most of them."""
    from app.models import Enrollment, InhouseRosterEntry

    with app.app_context():
        busiest = {}
        for model, column in ((Enrollment, Enrollment.class_id),
                              (InhouseRosterEntry, InhouseRosterEntry.class_id)):
            busiest[model.__name__] = db.session.execute(
                select(column).group_by(column).order_by(func.count().desc()).limit(1)
            ).scalar()
    pages = []
    if busiest["Enrollment"]:
        pages += [f"/training/classes/{busiest['Enrollment']}/roster",
                  f"/training-admin/{busiest['Enrollment']}"]
    if busiest["InhouseRosterEntry"]:
        pages.append(f"/inhouse/classes/{busiest['InhouseRosterEntry']}/roster")
    return pages


def _links(html, pattern):
    found = set()
    for block in pattern.findall(html):
        found |= {link.replace("&amp;", "&") for link in LINK_RE.findall(block)}
    return {link for link in found if not any(s in link for s in SKIP) and link != "/"}


class Counter:
    """Statements sent while inside `with counter:`, and the relationships loaded lazily
    one row at a time (SQLAlchemy's lazy loads: `lazy_loaded_from` names the row)."""

    def __init__(self, engine):
        self.engine, self.count, self.lazy = engine, 0, []

    def repeated(self):
        """Relationships lazily loaded for more than one row of the page: each row's related
        row loaded alone — an N+1 even where the identity map hides its growth (the demo
        data's ten firms are all loaded by the first ten rows)."""
        return sorted({path for path in self.lazy if self.lazy.count(path) > 1})

    def _statement(self, *_args):
        self.count += 1

    def _orm(self, state):
        if state.lazy_loaded_from is not None:
            self.lazy.append(str(state.loader_strategy_path))

    def __enter__(self):
        self.count, self.lazy = 0, []
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(Session, "do_orm_execute", self._orm)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(Session, "do_orm_execute", self._orm)


def _open(app, client, counter, path, view, size):
    """(status, statements, table rows) of the page at `size` rows a page."""
    app.config["LIST_PAGE_SIZE"] = size
    url = path
    if view:
        url += ("&" if "?" in url else "?") + f"psize_{view}={size}"
    with counter:
        response = client.get(url)
    html = response.get_data(as_text=True)
    return response.status_code, counter.count, len(ROW_RE.findall(html)), counter.repeated()


@pytest.mark.slow("opens every list of four demo accounts three times on `demo seed`'s data")
def test_no_list_issues_more_statements_for_a_longer_page(app, demo_data, make_client):
    past_first_login(app)  # its own tests cover the first login
    with app.app_context():
        engine = db.engine
    counter = Counter(engine)
    model_views = _model_views(app)
    id_lists = _id_lists(app)
    kept = app.config["LIST_PAGE_SIZE"]
    report, growing, not_apart, repeated = [], [], [], []
    try:
        for login, password in _accounts(demo_data).items():
            client = make_client()
            client.login(login, password)
            assert client.signed_in, login
            home = client.get("/").get_data(as_text=True)
            pages = _links(home, NAV_RE) | set(model_views) | set(id_lists)
            seen, queue = set(), sorted(pages)
            while queue:
                path = queue.pop(0)
                if path in seen:
                    continue
                seen.add(path)
                view = model_views.get(urlsplit(path).path)
                response = client.get(path)
                if response.status_code != 200:
                    continue  # not this account's page (refused or sent elsewhere)
                for tab in sorted(_links(response.get_data(as_text=True), TABS_RE) - seen):
                    queue.append(tab)
                _open(app, client, counter, path, view, LARGE)  # warm-up
                _, small, small_rows, _ = _open(app, client, counter, path, view, SMALL)
                status, large, large_rows, again = _open(app, client, counter, path, view, LARGE)
                assert status == 200, (login, path, status)
                apart = large_rows > small_rows
                report.append(f"{login:<14} {path:<48} {small:>4} {large:>4} "
                              f"rows {small_rows:>3}/{large_rows:<3}"
                              f"{'' if apart else '  (too few rows to tell apart)'}")
                if large > small:
                    growing.append((login, path, small, large))
                if again:
                    repeated.append((login, path, again))
                if not apart:
                    not_apart.append((login, path))
    finally:
        app.config["LIST_PAGE_SIZE"] = kept
    print(f"\nstatements per list page at {SMALL} and {LARGE} rows a page (demo data):")
    print("\n".join(report))
    assert len(report) >= 60, report
    told_apart = {(login, path) for login, path in
                  [(line.split()[0], line.split()[1]) for line in report]} - set(not_apart)
    for login, paths in MUST_TELL_APART.items():
        for path in paths:
            assert (login, path) in told_apart, f"{login} {path}: too few rows to tell apart"
    problems = [f"{login} {path}: {small} statements at {SMALL} rows a page, {large} at {LARGE}"
                for login, path, small, large in growing]
    problems += [f"{login} {path}: loads {', '.join(again)} row by row (lazily, for each row)"
                 for login, path, again in repeated]
    assert problems == [], "\n".join(problems)
