"""Issue 14, one clock: every time a user sees is Beijing time, to the second, in one format
— lists, show pages (FAB printed `2026-12-01 21:47:44.272950+00:00` there), custom
templates (the `local_time` filter) and exports."""
import datetime as dt
import re

from flask import render_template_string

from app import clock
from app.extensions import db
from app.models import Person

UTC = dt.timezone.utc
STORED = dt.datetime(2026, 12, 1, 21, 47, 44, 272950, tzinfo=UTC)
BEIJING = "2026-12-02 05:47:44"


def test_display_is_beijing_time_to_the_second():
    assert clock.display(STORED) == BEIJING
    assert clock.display(dt.datetime(2026, 12, 1, 16, 0, tzinfo=UTC)) == "2026-12-02 00:00:00"
    assert clock.display(dt.date(2026, 12, 1)) == "2026-12-01"
    assert clock.display(None) == ""


def _set_times(app, person_id):
    with app.app_context():
        person = db.session.get(Person, person_id)
        person.imported_at = STORED
        person.created_at = STORED
        db.session.commit()


def test_list_and_show_pages_show_the_same_beijing_string(app, world, make_client):
    _set_times(app, world.a_people[1])
    client = make_client()
    client.login(world.a.admin)
    listing = client.get("/staffrosterview/list/").get_data(as_text=True)
    show = client.get(f"/staffrosterview/show/{world.a_people[1]}").get_data(as_text=True)
    for page in (listing, show):
        assert BEIJING in page
        assert "+00:00" not in page and "272950" not in page and "21:47:44" not in page


def test_a_show_page_whose_list_has_no_time_formats_it_too(app, world, make_client):
    _set_times(app, world.a_people[1])
    client = make_client()
    client.login(world.staff)
    show = client.get(f"/personview/show/{world.a_people[1]}").get_data(as_text=True)
    assert BEIJING in show and "+00:00" not in show


def test_every_time_column_of_every_crud_view_has_the_one_formatter(app):
    from flask_appbuilder.baseviews import BaseCRUDView

    missing = []
    for view in app.appbuilder.baseviews:
        if not isinstance(view, BaseCRUDView):
            continue
        for column in set(view.list_columns) | set(view.show_columns):
            if "." not in column and view.datamodel.is_datetime(column) \
                    and column not in view.formatters_columns:
                missing.append(f"{type(view).__name__}.{column}")
    assert not missing, missing


def test_the_jinja_filter(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ t|local_time }}", t=STORED) == BEIJING
        assert render_template_string("{{ t|local_time }}", t=None) == ""


def test_the_export_uses_the_same_format(app, world, make_client):
    _set_times(app, world.a_people[1])
    client = make_client()
    client.login(world.a.admin)
    response = client.get("/staffrosterview/export/csv/")
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    assert BEIJING in text and not re.search(r"21:47:44", text)
