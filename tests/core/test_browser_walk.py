"""Issue 14's walk: every menu entry of every role, opened in a real browser, shows no
English of the app's own — in the text, in the titles and placeholders a user hovers, in
the choices of every select — and no "__None". FAB's select2 and date picker speak
Chinese. What remains English on purpose is listed in ALLOWED with its reason."""
import re

import pytest

from tests.browser import browser_page, require_chromium, screenshot
from tests.helpers import PASSWORD, past_first_login, serving

ALLOWED = {
    # names of formats and systems, as the manuals write them
    "Excel", "CSV", "PDF", "Word", "CPA", "CICPA", "Email", "API",
    # file types the upload hints list (.png .jpg .pdf .xlsx)
    "png", "jpg", "jpeg", "pdf", "xlsx", "xls", "doc", "docx", "mp4",
    # units and the short forms the manuals use (10 MB, 对象ID)
    "MB", "KB", "GB", "ID",
}
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
# a verification code (学时证明), shown in lists and as the lookup field's example
CODE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}\b")
# what the page itself says (table cells aside), then what its table cells hold: data there
# may carry codes in capitals (a certificate's verification code WKXV-…), never words
VISIBLE = """() => {
    const page = document.body.cloneNode(true);
    for (const cell of page.querySelectorAll('td')) { cell.textContent = ''; }
    for (const code of page.querySelectorAll('script, style, noscript')) { code.remove(); }
    const texts = [page.innerText];
    for (const e of document.querySelectorAll('[title], [placeholder], [data-placeholder]')) {
        texts.push(e.getAttribute('title') || '', e.getAttribute('placeholder') || '',
                   e.getAttribute('data-placeholder') || '');
    }
    for (const o of document.querySelectorAll('option')) { texts.push(o.textContent); }
    const cells = Array.from(document.querySelectorAll('td'), c => c.innerText);
    return [texts.join('\\n'), cells.join('\\n')];
}"""


def _login(page, base, login, password=PASSWORD):
    page.goto(f"{base}/login/")
    page.fill("#username", login)
    page.fill("#password", password)
    page.locator("form [type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def data_logins(app) -> list:
    """Every login in the database: a list of accounts may show any of them, and their
    letters are data, not English of the app's."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from app.extensions import db

    with app.app_context():
        return list(db.session.scalars(select(User.username)))


def _english(texts, logins):
    own = {w for login in logins for w in WORD.findall(login)}
    page, cells = (CODE.sub(" ", text) for text in texts)
    words = set(WORD.findall(page)) | {w for w in WORD.findall(cells) if not w.isupper()}
    return sorted(w for w in words if w not in ALLOWED and w not in own)


def _walk(app, accounts, logins):
    """{"login path": [English words]} over every navbar link of each account (one login
    each); and how many pages were opened. `logins`: every login of the walk's data, whose
    letters are no English of the app's."""
    found, opened = {}, 0
    with serving(app) as base:
        for login, password in accounts:
            with browser_page(f"walk_{login}") as page:
                _login(page, base, login, password)
                links = page.eval_on_selector_all(
                    ".navbar a[href]", "els => els.map(e => e.getAttribute('href'))")
                links = sorted({h for h in links if h.startswith("/") and "logout" not in h})
                assert len(links) >= 5, (login, links)
                for href in links:
                    response = page.goto(f"{base}{href}")
                    assert response.status < 400, (login, href, response.status)
                    opened += 1
                    texts = page.evaluate(VISIBLE)
                    assert "__None" not in "".join(texts), (login, href)
                    words = _english(texts, logins)
                    if words:
                        found[f"{login} {href}"] = words
                        screenshot(page, f"walk_{login}_{href.strip('/').replace('/', '_')}")
    return found, opened


# Each role is its own test, so pytest-xdist spreads the walk over its workers. The pages
# each role opens at least (was: at least 40 for the four together; now 10 + 10 + 10 + 10).
WORLD_ROLES = {"admin": 10, "staff": 10, "firm_admin": 10, "member": 10}


@pytest.mark.slow("a real browser opens every menu entry of the role (about 15-30 pages)")
@pytest.mark.once_per_ci  # the words a page shows do not depend on the database; the same
# pages are opened on both databases by tests/core/test_demo_pages.py and the bad-input sweep
@pytest.mark.parametrize("role", WORLD_ROLES)
def test_every_menu_entry_of_every_role_reads_in_chinese(app, world, role):
    require_chromium()
    logins = {"admin": world.admin, "staff": world.staff, "firm_admin": world.a.admin,
              "member": world.member}
    found, opened = _walk(app, [(logins[role], PASSWORD)], list(logins.values()))
    assert opened >= WORLD_ROLES[role]
    assert found == {}


# the demo data's accounts walked, each its own test; pages each opens at least (was: at
# least 80 for the six together; now 20 + 20 + 15 + 10 + 10 + 5)
DEMO_ACCOUNTS = {"admin": 20, "staff": 20, "P11010001": 15, "110100010001": 10,
                 "kj": 10, "110000990001": 5}


@pytest.mark.slow("a real browser opens every menu entry of the account on the demo data")
@pytest.mark.once_per_ci  # what scripts draw; the server's words of the same pages are
# checked on both databases without a browser in tests/core/test_demo_pages.py
@pytest.mark.parametrize("account", DEMO_ACCOUNTS)
def test_every_menu_entry_on_the_demo_data_reads_in_chinese(app, demo_data, account):
    """The same walk on `demo seed`'s data, where every domain's screens hold rows in each of
    their states: staff, admin, a firm admin, a CPA member, a firm's 从业人员 (kj…) and a CPA
    managed by the institute."""
    require_chromium()
    listed = dict(re.findall(r"^\w+\s+(\S+)\s+(\S+)", demo_data, flags=re.M))
    wanted = ["admin", "staff", "P11010001", "110100010001", "110000990001"]
    wanted.append(next(login for login in listed if login.startswith("kj")))
    login = next(w for w in wanted if w.startswith(account))
    past_first_login(app)  # its own tests cover the first login
    found, opened = _walk(app, [(login, listed[login])], data_logins(app))
    assert opened >= DEMO_ACCOUNTS[account]
    assert found == {}, found  # {"login path": [words]} in full


@pytest.mark.once_per_ci  # what the browser widgets say does not depend on the database
def test_select2_and_the_date_picker_speak_chinese(app, world):
    require_chromium()
    with serving(app) as base, browser_page("widgets_zh") as page:
        _login(page, base, world.staff)
        page.goto(f"{base}/personview/edit/{world.a_people[0]}")
        clear = page.locator(".select2-selection__clear").first
        assert clear.get_attribute("title") == "清除全部"  # select2 said "Remove all items"
        picker = page.locator("input.appbuilder_date, .appbuilder_date input").first
        picker.click()
        shown = page.locator(".datepicker").first.inner_text()
        assert "一" in shown and "日" in shown and "年" in shown
        assert not re.search(r"January|February|March|April|May|June|July|August|September|"
                             r"October|November|December|Su|Mo|Today", shown), shown
