"""下载模板 pre-filled from the case (issue 24 item 5): the boxes of the 注销(撤销) form are drawn,
so a ticked and an unticked box differ on the rendered page (poppler's pdftoppm, as a reader
sees it), and each other form (注册申请表, 转所表, 补办申请, 相关事项申请表, 任职资格检查申请表)
carries its business's fields filled in from the case (read back with pdftotext)."""
import shutil
import subprocess
import tempfile
import types
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from app.extensions import db
from app.models import RegistrationCase
from app.workflows.registration import documents, requirements
from app.workflows.registration import types as TY
from tests.helpers import id_number
from tests.registration.common import setup_tables

CASE = types.SimpleNamespace(name="张一", mobile="13800000001", cert_number="110100010001",
                             id_number=id_number(1), firm_id=1)
FIRM = "北京甲会计师事务所（特殊普通合伙）"


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (apt-get install -y poppler-utils)")
    return path


def _page(pdf: bytes) -> Image.Image:
    with tempfile.TemporaryDirectory() as folder:
        source, root = Path(folder) / "form.pdf", Path(folder) / "page"
        source.write_bytes(pdf)
        subprocess.run([_tool("pdftoppm"), "-r", "100", "-gray", "-png", "-singlefile",
                        str(source), str(root)], capture_output=True, check=True, timeout=60)
        with Image.open(f"{root}.png") as image:
            return image.convert("L")


def _text(pdf: bytes) -> str:
    done = subprocess.run([_tool("pdftotext"), "-layout", "-", "-"], input=pdf,
                          capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def _changed_spots(first: Image.Image, second: Image.Image) -> list[tuple[int, int, int, int]]:
    """Bounding boxes of the areas where the two pages differ, split by empty rows."""
    difference = ImageChops.difference(first, second).point(lambda v: 255 if v > 60 else 0)
    width, height = difference.size
    pixels = difference.load()
    rows = [y for y in range(height) if any(pixels[x, y] for x in range(width))]
    spots, group = [], []
    for y in rows:
        if group and y - group[-1] > 3:
            spots.append(group)
            group = []
        group.append(y)
    if group:
        spots.append(group)
    boxes = []
    for ys in spots:  # and split each band by empty columns (boxes side by side)
        xs = sorted({x for y in ys for x in range(width) if pixels[x, y]})
        start = xs[0]
        for before, x in zip(xs, xs[1:] + [None]):
            if x is None or x - before > 3:
                boxes.append((start, ys[0], before, ys[-1]))
                start = x
    return boxes


def _ink(page: Image.Image, box) -> int:
    """Dark pixels in a box (a little margin around it)."""
    left, top, right, bottom = box
    area = page.crop((left - 2, top - 2, right + 3, bottom + 3))
    return sum(1 for v in area.getdata() if v < 128)


def _ticks_differ(build, first_answers, second_answers):
    first, second = _page(build(first_answers)), _page(build(second_answers))
    spots = _changed_spots(first, second)
    assert len(spots) == 2, spots  # exactly the two boxes changed: nothing else moved
    for left, top, right, bottom in spots:
        assert right - left < 20 and bottom - top < 20  # box-sized (11 pt at 100 dpi ≈ 15 px)
        assert _ink(first, (left, top, right, bottom)) != _ink(second, (left, top, right, bottom))
    upper, lower = sorted(spots, key=lambda s: (s[1], s[0]))
    return first, second, upper, lower


def test_the_cancel_forms_chosen_reason_and_yes_no_are_ticked_boxes():
    def build(answers):
        return documents.cancel_form(CASE, answers, FIRM)

    base = {"gender": "男", "partner": "否"}
    # 原因: the first reason chosen vs the fourth; the ticked box has the more ink
    first, second, upper, lower = _ticks_differ(
        build, {**base, "reason": TY.CANCEL_REASONS[0]}, {**base, "reason": TY.CANCEL_REASONS[3]})
    assert _ink(first, upper) > _ink(second, upper)  # reason 1 ticked only in the first
    assert _ink(second, lower) > _ink(first, lower)  # reason 4 ticked only in the second
    # 是否仍为股东/合伙人: 是 vs 否, side by side on one line
    first, second, left_box, right_box = _ticks_differ(
        build, {**base, "partner": "是"}, {**base, "partner": "否"})
    assert abs(left_box[1] - right_box[1]) < 4 and left_box[0] < right_box[0]
    left_box, right_box = sorted((left_box, right_box))
    assert _ink(first, left_box) > _ink(second, left_box)
    assert _ink(second, right_box) > _ink(first, right_box)
    # an unticked box is still drawn: the blank form has ink where the boxes are
    blank = _page(documents.cancel_form(None, {}, ""))
    assert _ink(blank, left_box) > 10 and _ink(blank, upper) > 10


def test_the_transfer_form_ticks_the_chosen_transfer_type():
    def build(answers):
        return documents.transfer_form(CASE, answers, FIRM)

    base = {"retired": "非退休", "from_firm": FIRM, "to_firm": "北京乙会计师事务所"}
    first, second, upper, lower = _ticks_differ(
        build, {**base, "transfer_type": "京内转所"}, {**base, "transfer_type": "转入协会代管"})
    assert _ink(first, upper) > _ink(second, upper)


@pytest.fixture
def firm(app, world, make_client):
    with app.app_context():
        setup_tables(db.session)
    client = make_client()
    client.login(world.a.admin)
    return client


def _save(client, case_type, data):
    client.post_form(f"/registration/new/{case_type}")
    response = client.post_form("/registration/save", {"case_type": case_type, "action": "save",
                                                       **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


@pytest.mark.parametrize("case_type, doc_key, data, expected", [
    (TY.REGISTER, "application_form",
     {"name": "模板甲", "id_number": id_number(601), "mobile": "13700000601", "retired": "否"},
     ["注册会计师注册申请表", "模板甲", id_number(601), "13700000601", "是否退休",
      "申请注册的会计师事务所", "北京甲会计师事务所"]),
    (TY.TRANSFER, "transfer_form",
     {"name": "模板乙", "cert_number": "110100060002", "mobile": "13700000602",
      "retired": "非退休", "transfer_type": "外省转入本市事务所", "from_firm": "河北某会计师事务所",
      "to_firm": "北京甲会计师事务所"},
     ["转所表", "模板乙", "110100060002", "关系转移类型", "外省转入本市事务所", "河北某会计师事务所",
      "转出事务所意见", "转入事务所意见"]),
    (TY.REISSUE, "reissue_request",
     {"name": "模板丙", "id_number": id_number(603), "mobile": "13700000603"},
     ["注册会计师证书补办申请", "模板丙", id_number(603), "登报挂失", "补办原因"]),
    (TY.OTHER_CHANGE, "matters_form",
     {"name": "模板丁", "cert_number": "110100060004", "mobile": "13700000604",
      "items": "将行业统一监管平台转所申请退回"},
     ["注册会计师相关事项申请表", "模板丁", "110100060004", "申请事项",
      "将行业统一监管平台转所申请退回"]),
    (TY.QUALIFICATION, "check_form",
     {"name": "模板戊", "cert_number": "110100060005", "mobile": "13700000605",
      "position": "分所负责人"},
     ["任职资格检查申请表", "模板戊", "110100060005", "拟任职务", "分所负责人", "近三年执业经历"]),
])
def test_each_form_is_filled_in_from_its_case(app, firm, case_type, doc_key, data, expected):
    _save(firm, case_type, data)
    with app.app_context():
        case = db.session.query(RegistrationCase).filter_by(name=data["name"]).one()
        assert any(r.doc_key == doc_key and r.has_template
                   for r in requirements.rows_of(case_type))
    response = firm.get(f"/registration/template/{doc_key}?case={case.id}")
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"
    text = _text(response.data)
    for value in expected:
        assert value in text, (value, text)
    blank = _text(firm.get(f"/registration/template/{doc_key}").data)
    assert data["name"] not in blank and expected[0] in blank


def test_the_form_downloads_its_template_filled_in_as_typed(app, firm, world, make_client):
    form = {"case_type": TY.CANCEL, "name": "未保存张", "gender": "女", "id_number": id_number(611),
            "cert_number": "110100061100", "mobile": "13700000611", "partner": "是",
            "reason": TY.CANCEL_REASONS[1], "agent_name": "李受托"}
    response = firm.post_form("/registration/template/cancel_form/filled", form)
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _text(response.data)
    for value in ("未保存张", id_number(611), "110100061100", "李受托", "北京甲会计师事务所"):
        assert value in text, value
    with app.app_context():
        assert db.session.query(RegistrationCase).filter_by(name="未保存张").count() == 0
    # ticked as typed: 是 vs 否 differ on the page
    other = firm.post_form("/registration/template/cancel_form/filled", {**form, "partner": "否"})
    assert len(_changed_spots(_page(response.data), _page(other.data))) == 2
    # only filers: staff are sent back with the reason
    staff = make_client()
    staff.login(world.staff)
    refused = staff.post_form("/registration/template/cancel_form/filled", form)
    assert refused.status_code in (302, 403)
    assert firm.post_form("/registration/template/nonsense/filled", form).status_code == 404
