"""Issue 14's walk: every menu entry of every role, opened in a real browser, shows no
English of the app's own — in the text, in the titles and placeholders a user hovers, in
the choices of every select — and no "__None". FAB's select2 and date picker speak
Chinese. What remains English on purpose is listed in ALLOWED with its reason."""
import re

import pytest

from tests.browser import browser_page, require_chromium, screenshot
from tests.helpers import PASSWORD, serving

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


def _login(page, base, login):
    page.goto(f"{base}/login/")
    page.fill("#username", login)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def _english(texts, logins):
    own = {w for login in logins for w in WORD.findall(login)}
    page, cells = (CODE.sub(" ", text) for text in texts)
    words = set(WORD.findall(page)) | {w for w in WORD.findall(cells) if not w.isupper()}
    return sorted(w for w in words if w not in ALLOWED and w not in own)


@pytest.mark.slow
def test_every_menu_entry_of_every_role_reads_in_chinese(app, world):
    require_chromium()
    logins = [world.admin, world.staff, world.a.admin, world.member]
    found, opened = {}, 0
    with serving(app) as base:
        for login in logins:
            with browser_page(f"walk_{login}") as page:
                _login(page, base, login)
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
    assert opened >= 40
    assert found == {}


@pytest.mark.slow
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
