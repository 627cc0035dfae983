"""The demo data's pages as the server renders them, on every database: for each demo
account, every menu entry and every page one tap further (a detail, an edit form, the
业务办理 steps) answers below 400, shows no "__None", and its menu pages say nothing in
English (the words of the server's HTML, scripts aside, as tests/core/test_browser_walk.py
reads them in the browser).

This is the database-dependent half of the browser walks (test_browser_walk's demo walk,
test_browser_phone): their queries run here on SQLite and on PostgreSQL; what only a browser
adds — the text scripts draw, the layout at 390 px — cannot change with the database, so
.ci/run runs those once (`once_per_ci`)."""
import re
from html.parser import HTMLParser

import pytest

from tests.core.test_browser_phone import NOT_A_PAGE
from tests.core.test_browser_walk import _english, data_logins
from tests.helpers import past_first_login

SKIPPED = {"script", "style", "noscript", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Page(HTMLParser):
    """What test_browser_walk's VISIBLE reads: the page's text outside table cells, the cells'
    text, the titles and placeholders, the options; and the links of the navbar and of the
    page's body."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.cells, self.hints = [], [], []
        self.menu, self.body_links = [], []
        self._open = []  # (tag, class) of the open elements

    def _inside(self, tag=None, css=None):
        return any((tag is None or t == tag) and (css is None or css in c.split())
                   for t, c in self._open)

    def shown(self) -> str:
        return "\n".join(self.text + self.hints + self.cells)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("title", "placeholder", "data-placeholder"):
            if attrs.get(key):
                self.hints.append(attrs[key])
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("/"):
            (self.menu if self._inside(css="navbar") else self.body_links).append(href)
        if tag not in VOID:
            self._open.append((tag, attrs.get("class") or ""))

    def handle_endtag(self, tag):
        for at in range(len(self._open) - 1, -1, -1):
            if self._open[at][0] == tag:
                del self._open[at:]
                break

    def handle_data(self, data):
        if any(t in SKIPPED for t, _c in self._open):
            return
        if self._inside("option"):
            self.hints.append(data)
        elif self._inside("td"):
            self.cells.append(data)
        else:
            self.text.append(data)


def _read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _accounts(demo_data):
    listed = dict(re.findall(r"^\w+\s+(\S+)\s+(\S+)", demo_data, flags=re.M))
    wanted = ["admin", "staff", "P11010001", "110100010001", "110000990001"]
    wanted.append(next(login for login in listed if login.startswith("kj")))
    return {login: listed[login] for login in wanted}


# pages each account opens at least: (menu entries, pages one tap further); opened now:
# admin 62/68, staff 48/59, P11010001 29/38, 110100010001 21/15, kj 16/7, 110000990001 22/21
DEMO_ACCOUNTS = {"admin": (50, 50), "staff": (40, 45), "P11010001": (25, 30),
                 "110100010001": (18, 12), "kj": (13, 5), "110000990001": (18, 16)}


@pytest.mark.parametrize("account", DEMO_ACCOUNTS)
def test_every_demo_page_renders_on_this_database(app, demo_data, make_client, account):
    accounts = _accounts(demo_data)
    login = next(w for w in accounts if w.startswith(account))
    past_first_login(app)  # its own tests cover the first login
    logins = data_logins(app)
    client = make_client()
    client.login(login, accounts[login])
    assert client.signed_in, login

    home = _read(client.get("/").get_data(as_text=True))
    menu = sorted({h for h in home.menu if "logout" not in h and not NOT_A_PAGE.search(h)})
    english, further = {}, {}
    for href in menu:
        response = client.get(href)
        assert response.status_code < 400, (login, href, response.status_code)
        page = _read(response.get_data(as_text=True))
        assert "__None" not in page.shown(), (login, href)
        words = _english(("\n".join(page.text + page.hints), "\n".join(page.cells)), logins)
        if words:
            english[f"{login} {href}"] = words
        for h in page.body_links:
            path = h.split("?")[0].split("#")[0]
            key = re.sub(r"\d+", "N", path)
            if path not in menu and not NOT_A_PAGE.search(path) and key not in further:
                further[key] = h
    assert english == {}, english  # {"login path": [words]} in full

    opened = 0
    for href in sorted(further.values()):
        response = client.get(href)
        assert response.status_code < 400, (login, href, response.status_code)
        if response.status_code == 200 and response.mimetype == "text/html":
            assert "__None" not in _read(response.get_data(as_text=True)).shown(), (login, href)
            opened += 1
    least_menu, least_further = DEMO_ACCOUNTS[account]
    assert len(menu) >= least_menu and opened >= least_further, (login, len(menu), opened)
