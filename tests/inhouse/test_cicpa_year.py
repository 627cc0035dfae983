"""上报中注协 asks which year (issue 23, small things): the button took today's year without
asking. Seed 000 §6.2.4: 「上报中注协」 exports the firm's whole-year summary — of the year
the firm chooses, each year listed with its classes."""
import datetime as dt
import io

from openpyxl import load_workbook

from app.models import ReviewStatus
from tests.helpers import NOW
from tests.inhouse.world import a_class, qualified


def test_the_button_opens_a_year_chooser_and_the_chosen_year_is_exported(app, world, client):
    with app.app_context():
        qualified(world.a.id, 2025, NOW)
        a_class(world.a.id, NOW, name="去年的班", start=dt.date(2025, 6, 10),
                status=ReviewStatus.APPROVED)
        a_class(world.a.id, NOW, name="去年的第二个班", start=dt.date(2025, 9, 10))
    client.login(world.a.admin)
    listing = client.get("/inhouse/classes/").get_data(as_text=True)
    assert 'href="/inhouse/cicpa/?choose=1"' in listing  # no year decided for the user
    chooser = client.get("/inhouse/cicpa/?choose=1")
    assert chooser.status_code == 200 and chooser.mimetype == "text/html"
    page = chooser.get_data(as_text=True)
    assert '<option value="2025" selected>2025年度（2个培训班，已审核通过1个）</option>' in page
    assert 'id="cicpa-download"' in page
    filtered = client.get("/inhouse/classes/?year=2025").get_data(as_text=True)
    assert 'href="/inhouse/cicpa/?year=2025&amp;choose=1"' in filtered
    workbook = client.get("/inhouse/cicpa/?year=2025")
    assert workbook.mimetype.endswith("sheet")
    names = [row[4] for row in load_workbook(io.BytesIO(workbook.data)).worksheets[0]
             .iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["去年的班", "去年的第二个班"]
