"""Issue 14: no server error on bad input — every registered URL rule, every role.

Each rule is called with hostile values in its arguments (an id too large for the database
integer, a negative one, a non-numeric one, an unknown action / format / kind name) and
with the hostile list parameters (unknown order column, non-numeric page and page size,
unknown filter column and index, broken Rison), by GET and by every other method it
accepts (with a valid CSRF token, a form for pages and a JSON body that is not an object
for the API). Any 5xx is a failure, and so is a 4xx that says nothing in Chinese; all
failures are listed at once.
"""
import json
import re
from urllib.parse import urlencode

import pytest

from tests.helpers import WebClient

HUGE = "99999999999999999999"
CJK = re.compile(r"[\u4e00-\u9fff]")
ARG_VALUES = [HUGE, "-1", "x'1"]
SKIP_ENDPOINTS = {"static", "appbuilder.static", "AuthDBView.logout", "LocaleView.index"}
ROLES = ["anonymous", "member", "firm_admin", "staff", "admin"]


def _view_name(endpoint: str) -> str:
    return endpoint.split(".")[0]


def _hostile_queries(view: str) -> list[dict]:
    return [
        {f"_oc_{view}": "nonexistent", f"_od_{view}": "asc"},
        {f"page_{view}": "x", f"psize_{view}": "x"},
        {f"page_{view}": "-1", f"psize_{view}": "-5"},
        {"_flt_9_nonexistent": "1", "_flt_9_name": "1", "_flt_0_id": HUGE},
        {"q": "(((", "page": "x"},
        {"q": "(page:-1,page_size:-5,order_column:nonexistent,order_direction:up)"},
    ]


def _urls(rule) -> list[str]:
    if not rule.arguments:
        return [rule.rule]
    urls = []
    for value in ARG_VALUES:
        values = {}
        for arg in rule.arguments:
            converter = type(rule._converters[arg]).__name__
            if converter == "IntegerConverter":  # "x'1" would not match the rule at all
                values[arg] = "0" if value == "x'1" else value
            elif arg in ("pk", "policy_id", "filename", "token"):
                values[arg] = value
            else:  # a name: action, format, kind, verb, version …
                values[arg] = "nonexistent"
        url = rule.rule
        for arg, val in values.items():
            url = url.replace(f"<{arg}>", val)
            for conv in ("int", "string", "path"):
                url = url.replace(f"<{conv}:{arg}>", val)
        urls.append(url)
    return sorted(set(urls))


def _client(app, world, role):
    client = WebClient(app.test_client())
    login = {"member": world.member, "firm_admin": world.a.admin, "staff": world.staff,
             "admin": world.admin}.get(role)
    if login:
        client.login(login)
        assert client.signed_in, role
    return client


# the URL rules are swept in GROUPS parts (every GROUPS-th rule of the sorted list), each
# role and part its own test, so pytest-xdist spreads the 9,000-odd requests over its workers
GROUPS = 3


def _rules(app, group):
    rules = [r for r in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
             if r.endpoint not in SKIP_ENDPOINTS]
    return rules[group::GROUPS]


def _sweep(app, client, role, failures, group):
    token = client.token()
    for rule in _rules(app, group):
        api = rule.rule.startswith("/api/")
        view = _view_name(rule.endpoint)
        requests = []
        for url in _urls(rule):
            if "GET" in rule.methods:
                lists = rule.endpoint.endswith((".list", ".get_list", ".info", ".export"))
                queries = _hostile_queries(view) if lists else [_hostile_queries(view)[1]]
                requests += [("GET", url + "?" + urlencode(query)) for query in queries]
            for method in ("POST", "PUT", "DELETE"):
                if method in rule.methods:
                    requests.append((method, url))
        for method, url in requests:
            kwargs = {}
            if method != "GET" and api:
                kwargs = {"data": "[1, 2]", "content_type": "application/json",
                          "headers": {"X-CSRFToken": token}}
            elif method != "GET":
                kwargs = {"data": {"csrf_token": token, "action": "nonexistent"}}
            try:  # TESTING propagates what would be a 500 as the exception itself
                response = client.client.open(url, method=method, **kwargs)
            except Exception as error:  # noqa: BLE001
                failures.append(f"{role} {method} {url} → {type(error).__name__}: {error}"[:300])
                continue
            text = (json.dumps(response.get_json(silent=True), ensure_ascii=False)
                    if response.is_json  # a download (an .xlsx export) is bytes, not text
                    else response.get_data()[:20000].decode("utf-8", "replace"))
            if 400 <= response.status_code < 500 and not CJK.search(text):
                failures.append(f"{role} {method} {url} → {response.status_code} without Chinese")
            if response.status_code >= 500:
                failures.append(f"{role} {method} {url} → {response.status_code}")


def test_the_groups_cover_every_rule_once(app):
    swept = [id(rule) for group in range(GROUPS) for rule in _rules(app, group)]
    assert len(swept) == len(set(swept)) == sum(
        1 for r in app.url_map.iter_rules() if r.endpoint not in SKIP_ENDPOINTS) > 200


@pytest.mark.slow("thousands of requests: every URL rule with hostile values, for the role")
@pytest.mark.parametrize("group", range(GROUPS))
@pytest.mark.parametrize("role", ROLES)
def test_no_url_answers_a_server_error_to_hostile_input(app, world, role, group):
    limiter = app.appbuilder.sm.limiter
    limiter.enabled = False  # the anonymous sweep posts to the login form many times
    failures = []
    try:
        client = _client(app, world, role)
        _sweep(app, client, role, failures, group)
        if role != "anonymous":  # the sweep must not have signed the role out half way
            home = client.client.get("/personview/list/")
            assert "/login/" not in home.headers.get("Location", ""), role
    finally:
        limiter.enabled = True
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
