"""Issue 27 §2: the login page (and a printed notice) carries a QR code of the site's public
address. The SVG on the page is compared with segno's drawing of the expected address, so a
QR of any other text fails."""
import segno

from app.views.core.qr import qr_svg
from tests.helpers import NOW


def _svg(page):
    start = page.index("<svg")
    return page[start:page.index("</svg>", start) + len("</svg>")]


def test_the_login_page_shows_a_qr_of_the_configured_public_address(app, client):
    app.config["PUBLIC_URL"] = "https://zx.example.org/"
    try:
        page = client.get("/login/").get_data(as_text=True)
    finally:
        app.config["PUBLIC_URL"] = ""
    assert "手机扫码打开服务系统登录页" in page
    assert "https://zx.example.org/login/" in page
    with app.test_request_context():
        expected = str(qr_svg("https://zx.example.org/login/", title="手机扫码打开服务系统"))
    assert _svg(page) == expected
    # the drawing really is that address's code: a version-2+ symbol, not a placeholder
    assert segno.make("https://zx.example.org/login/", error="m").version >= 2


def test_without_a_public_address_the_qr_opens_the_address_the_request_came_in_on(client):
    page = client.get("/login/", base_url="http://192.168.1.20:8080").get_data(as_text=True)
    assert "http://192.168.1.20:8080/login/" in page
    assert _svg(page).startswith("<svg")


def test_a_printed_notice_carries_the_qr_of_its_own_page(app, world, client):
    from app.extensions import db
    from app.workflows.messages import notify
    from flask_appbuilder.security.sqla.models import User

    with app.app_context():
        user = db.session.query(User).filter_by(username=world.member).one()
        message = notify([user], "年检通知", "请于月底前完成年检。", NOW)[0]
        db.session.commit()
        pk = message.id
    client.login(world.member)
    page = client.get(f"/messages/show/{pk}").get_data(as_text=True)
    assert 'id="print-qr" class="visible-print-block"' in page
    with app.test_request_context():
        expected = str(qr_svg(f"http://localhost/messages/show/{pk}", scale=3,
                              title="手机扫码打开服务系统"))
    assert _svg(page[page.index('id="print-qr"'):]) == expected
