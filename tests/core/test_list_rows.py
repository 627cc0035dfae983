"""Each list row's buttons (查看 / 修改 / 删除, FAB's lib.btn_crud) and 操作 links are drawn
once per page and copied into every row (appbuilder/general/widgets/list.html, the one
list table, 操作 column included): every row still points at its own key, and a filtered page
shows exactly the rows of its filter (a row whose key is not an integer would be drawn by
FAB's macro itself; our keys all are)."""
import re
from sqlalchemy import select

from app.extensions import db
from app.models.registry import Person
from tests.helpers import WebClient


def _rows(html):
    start = html.index('<table class="table table-bordered table-hover">')
    table = html[start:html.index("</table>", start)]
    return re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]  # the header row aside


def test_every_rows_buttons_point_at_its_own_row_on_a_filtered_page(app, world):
    http = WebClient(app.test_client())
    http.login(world.staff)
    with app.app_context():
        wanted = set(db.session.scalars(select(Person.id).where(Person.name.like("张%"))))
    assert len(wanted) >= 2, "the world has several persons named 张…"
    html = http.client.get("/personview/list/?_flt_0_name=%E5%BC%A0&psize_PersonView=100"
                           ).get_data(as_text=True)
    shown = set()
    for row in _rows(html):
        show, edit = (re.search(rf'href="(/personview/{verb}/(\d+)[^"]*)"', row)
                      for verb in ("show", "edit"))
        deleted = re.search(r'id="btn-delete-/personview/delete/(\d+)"', row)
        assert show and edit and deleted, row
        assert show.group(2) == edit.group(2) == deleted.group(1), row
        pk = show.group(2)
        # FAB adds a related view's filters to these links only; this page has none
        assert (show.group(1), edit.group(1)) == (f"/personview/show/{pk}",
                                                  f"/personview/edit/{pk}"), row
        shown.add(int(show.group(2)))
    assert shown == wanted


def test_every_rows_links_in_the_operations_column_point_at_its_own_row(app, world):
    http = WebClient(app.test_client())
    http.login(world.a.admin)
    html = http.client.get("/staffrosterview/list/").get_data(as_text=True)
    rows = _rows(html)
    assert len(rows) >= 2
    owns = set()
    for row in rows:
        own = re.search(r'href="/staffrosterview/show/(\d+)', row).group(1)
        owns.add(own)
        links = re.findall(r'<a href="(/staffrosterview/[^"]+)" class="row-link">', row)
        assert len(links) == 2, row  # 修改, 重置密码
        assert all(re.search(rf"/{own}(?:$|[/?])", link) for link in links), (own, links)
    assert len(owns) == len(rows)  # each row its own
