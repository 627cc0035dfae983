"""Two firms' admins hitting the list and the exports at the same time never see each
other's rows or each other's search filters.

FAB keeps a list view's search filters on the view instance, which every request
shares (FAB_NOTES); app/views/scoping.py gives each request its own. This test serves
the session app on a threaded werkzeug server, as production does, signs in firm A's
and firm B's admins over real HTTP with their own cookie jars, and sends list, CSV and
Excel requests from several threads at once, each thread with its own filter. Names
are chosen so that any leak shows: both firms have people of both surnames, so a
request that picked up another request's filter (or lost its own) returns other rows.
Every response must equal the one the same request gave when it ran alone.
"""
import codecs
import csv
import html
import io
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from openpyxl import load_workbook

from tests.helpers import PASSWORD, make_person
from tests.helpers import serving

THREADS = 8
REQUESTS_PER_THREAD = 25
KINDS = ("list", "csv", "xlsx")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ROW_RE = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL_RE = re.compile(r"<td>([^<]*)</td>")
# the last argument of `new AdminFilters(...)`: the active filters the search widget shows
ACTIVE_FILTERS_RE = re.compile(r"^\s*(\[.*\])\s*\n\s*\);", re.M)

A_NAMES = {"张一", "张二", "张三", "李甲一", "李甲二"}
B_NAMES = {"李一", "李二", "李三", "张乙一", "张乙二"}




class Browser:
    """One signed-in user over real HTTP: a cookie jar shared by the threads using it."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path):
        """(status, final URL, body bytes); HTTP errors are returned, not raised."""
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.url, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read()

    def login(self, username, password=PASSWORD):
        status, _, page = self.get("/login/")
        assert status == 200
        token = CSRF_RE.search(page.decode()).group(1)
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": token}).encode()
        with self.opener.open(self.base + "/login/", data=data, timeout=60) as response:
            assert "/login" not in response.url, f"{username} could not sign in"
        status, url, _ = self.get("/personview/list/")
        assert status == 200 and url.endswith("/personview/list/"), (username, status, url)


def _view(app, name):
    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)


def _flt(app, column, filter_name):
    with app.test_request_context():
        filters = _view(app, "PersonView")._filters.get_search_filters()[column]
    index = [type(f).__name__ for f in filters].index(filter_name)
    return f"_flt_{index}_{column}"


def _parse(kind, body):
    """(names in order, firm names, active search filters or None) of one response."""
    if kind == "list":
        page = body.decode("utf-8")
        rows = [[html.unescape(c).strip() for c in CELL_RE.findall(block)]
                for block in ROW_RE.findall(page) if "/personview/show/" in block]
        active = ACTIVE_FILTERS_RE.search(page)
        return ([r[0] for r in rows], {r[5] for r in rows},
                json.loads(active.group(1)) if active else "no search widget")
    if kind == "csv":
        assert body.startswith(codecs.BOM_UTF8)
        rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))[1:]
    else:
        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(min_row=2,
                                                                                 values_only=True)]
    return [r[0] for r in rows], {r[5] for r in rows}, None


@pytest.fixture
def two_firms(app, world):
    """Both surnames in both firms, so a request that ran with another's filter shows it."""
    make_person(app, world.a.id, "李甲一", phone="13800000011")
    make_person(app, world.a.id, "李甲二", phone="13800000012")
    make_person(app, world.b.id, "张乙一", phone="13900000011")
    make_person(app, world.b.id, "张乙二", phone="13900000012")
    return world


def test_two_firms_list_and_export_at_once_never_see_each_others_rows_or_filters(app, two_firms):
    world = two_firms
    starts = _flt(app, "name", "FilterStartsWith")
    contains = _flt(app, "name", "FilterContains")
    desc = "&_oc_PersonView=name&_od_PersonView=desc"
    q = urllib.parse.quote
    # (firm, query, the names it must return, the (column, values) its search widget shows)
    cases = [
        ("a", f"{starts}={q('张')}", {"张一", "张二", "张三"}, [("name", ["张"])]),
        ("b", f"{starts}={q('李')}", {"李一", "李二", "李三"}, [("name", ["李"])]),
        ("a", f"{starts}={q('李')}{desc}", {"李甲一", "李甲二"}, [("name", ["李"])]),
        ("b", f"{starts}={q('张')}{desc}", {"张乙一", "张乙二"}, [("name", ["张"])]),
        ("a", f"{contains}={q('二')}", {"张二", "李甲二"}, [("name", ["二"])]),
        ("b", f"{contains}={q('二')}", {"李二", "张乙二"}, [("name", ["二"])]),
        ("a", "", A_NAMES, []),
        ("b", "", B_NAMES, []),
    ]
    firm_name = {"a": world.a.name, "b": world.b.name}
    failures = []

    with serving(app) as base:
        browsers = {"a": Browser(base), "b": Browser(base)}
        browsers["a"].login(world.a.admin)
        browsers["b"].login(world.b.admin)

        def path(kind, query):
            stem = "/personview/list/" if kind == "list" else f"/personview/export/{kind}/"
            return stem + (f"?{query}" if query else "")

        # what each request gives when it runs alone: the reference, order included
        alone = {}
        for firm, query, names, active in cases:
            for kind in KINDS:
                status, _, body = browsers[firm].get(path(kind, query))
                assert status == 200, (firm, kind, query, status)
                got, firms, shown = _parse(kind, body)
                assert set(got) == names, (firm, kind, query, got)
                assert firms <= {firm_name[firm]}, (firm, kind, query, firms)
                if kind == "list":
                    assert [(f[0], f[2]) for f in shown] == active, (firm, query, shown)
                alone[firm, kind, query] = got, shown

        start = threading.Barrier(THREADS)

        def worker(number):
            firm, query, names, active = cases[number % len(cases)]
            start.wait(timeout=30)
            for i in range(REQUESTS_PER_THREAD):
                kind = KINDS[(number + i) % len(KINDS)]
                status, _, body = browsers[firm].get(path(kind, query))
                if status != 200:
                    failures.append((firm, kind, query, f"HTTP {status}"))
                    continue
                got, firms, shown = _parse(kind, body)
                expected, expected_shown = alone[firm, kind, query]
                if got != expected or not firms <= {firm_name[firm]}:
                    failures.append((firm, kind, query, got, sorted(firms)))
                if shown != expected_shown:
                    failures.append((firm, kind, query, "search widget shows", shown))

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            for future in [pool.submit(worker, n) for n in range(THREADS)]:
                future.result()

    assert not failures, f"{len(failures)} of {THREADS * REQUESTS_PER_THREAD}: {failures[:5]}"
