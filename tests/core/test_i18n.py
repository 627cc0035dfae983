"""The Chinese catalog that completes FAB's own zh one, its compilation, and its use."""
import json
import os
import re
import shutil
from pathlib import Path

import flask_appbuilder
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

from app.i18n import compile_catalogs

APP_DIR = Path(__file__).resolve().parents[2] / "app"
TRANSLATIONS = APP_DIR / "translations"
FAB_DIR = Path(flask_appbuilder.__file__).resolve().parent



def _fab_msgids() -> set[str]:
    """Every msgid FAB marks for translation, extracted as `pybabel extract` would."""
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "__": None,
                "lazy_formatter_gettext": None, "ngettext": (1, 2)}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    return {
        msg if isinstance(msg, str) else msg[0]
        for _, _, msg, _, _ in extract_from_dir(str(FAB_DIR), method_map, keywords=keywords)
    }


def _merged(locale_dir: Path) -> Translations:
    """FAB's zh catalog with ours merged on top, as Flask-Babel does it."""
    merged = Translations.load(str(FAB_DIR / "translations"), ["zh"])
    return merged.merge(Translations.load(str(locale_dir), ["zh"]))


@pytest.fixture
def compiled(tmp_path):
    shutil.copytree(TRANSLATIONS, tmp_path / "translations",
                    ignore=shutil.ignore_patterns("*.mo"))
    directory = tmp_path / "translations"
    assert compile_catalogs(directory) == [directory / "zh" / "LC_MESSAGES" / "messages.mo"]
    return directory


def test_catalog_compiles_and_loads(compiled):
    zh = Translations.load(str(compiled), ["zh"])
    assert zh.gettext("In") == "属于"
    assert zh.gettext("Not In") == "不属于"
    assert zh.gettext("Are you sure you want to delete this item?") == "确定要删除这条记录吗？"
    assert zh.gettext("Logout") == "退出系统"  # 注销 is a firm status here
    merged = _merged(compiled)
    assert merged.gettext("Record Count") == "记录数"  # ours wins over FAB's 记录数目
    assert merged.gettext("Search") == "搜索"  # FAB's own, untouched


def test_compile_only_when_stale(compiled):
    po = compiled / "zh" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    assert compile_catalogs(compiled) == []  # up to date: left alone
    stale = po.stat().st_mtime_ns - 10**9
    os.utime(mo, ns=(stale, stale))  # the .po edited after the last compile
    assert compile_catalogs(compiled) == [mo]
    assert mo.stat().st_mtime_ns > po.stat().st_mtime_ns
    assert not list(mo.parent.glob(".messages-*"))  # no temp file left behind


def test_every_entry_is_translated_and_keeps_placeholders():
    with (TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]")
    for message in catalog:
        if not message.id:
            continue
        assert message.string and not message.fuzzy, message.id
        assert sorted(placeholder.findall(message.id)) == sorted(
            placeholder.findall(message.string)), message.id


def test_every_fab_msgid_has_chinese(compiled):
    """A FAB upgrade that adds UI strings fails here until they are translated."""
    merged = _merged(compiled)
    untranslated = sorted(m for m in _fab_msgids() if m and merged.gettext(m) == m)
    assert untranslated == []


ENGLISH_UI = [
    ">Add<", ">Edit<", ">Show<", ">Delete<",  # sr-only labels of the row/page buttons
    "Are you sure you want to delete this item?",
    json.dumps("In"), json.dumps("Not In"),  # filter operators in AdminFilters' JSON
    ">Search<", "Record Count", "Add Filter", ">Logout<",
]


def test_person_list_has_no_english_ui(client, world):
    client.login(world.staff)
    assert client.signed_in
    page = client.get("/personview/list/").get_data(as_text=True)
    assert [word for word in ENGLISH_UI if word in page] == []
    for chinese in ("确定要删除这条记录吗？", "记录数", json.dumps("属于"), json.dumps("不属于"),
                    ">新增<", ">修改<"):
        assert chinese in page, chinese


def test_modal_buttons_are_chinese(client, world):
    client.login(world.staff)
    page = client.get("/personview/list/").get_data(as_text=True)
    assert ">Cancel<" not in page
    assert ">OK<" not in page


def test_an_optional_select_offers_请选择_not___None(client, world):
    """The blank choice of an optional relation (人员's 所在事务所) in the add and edit
    forms reads 请选择; the value sent stays FAB's marker. The list's filter of that relation
    is a text box (名称或编号, issue 28: no option per firm), so no FAB marker shows there."""
    client.login(world.staff)
    for url in ("/personview/add", f"/personview/edit/{world.a_people[0]}", "/personview/list/"):
        page = client.get(url).get_data(as_text=True)
        assert ">__None<" not in page and "u003e__None\\u003c" not in page, url
        if url.endswith("/list/"):
            # the filter form travels as JSON with < > escaped: the firm is searched by words
            assert "名称或编号" in page or "\\u540d\\u79f0\\u6216\\u7f16\\u53f7" in page, url
        else:
            assert ">请选择<" in page, url
    form = client.get("/personview/add").get_data(as_text=True)
    assert re.search(r'<option[^>]*value="__None"[^>]*>请选择</option>', form)
