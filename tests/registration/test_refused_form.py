"""A refused 保存 keeps the form (issue 24 item 1): the fields and answers come back as typed,
the files it accepted are kept for the form (held in the one file store, tied to the form's
token) and each fault is named next to its field or document row; the fix is sent without
uploading the kept file again. Held files nobody claimed are forgotten after a day."""
import datetime as dt
import html
import io
import re

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import RegistrationCase, StoredFile
from app.workflows.core import files
from tests.helpers import id_number
from tests.registration.common import NOW, PDF, setup_tables

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.fixture
def firm(app, world, make_client):
    with app.app_context():
        setup_tables(db.session)
    client = make_client()
    client.login(world.a.admin)
    assert client.post_form("/registration/new/注册申请").status_code == 302
    return client


def _post(client, data, uploads=None):
    form = {"case_type": "注册申请", "action": "save", "csrf_token": client.token(), **data}
    for key, (name, body) in (uploads or {}).items():
        form[f"doc_{key}"] = (io.BytesIO(body), name)
    return client.post("/registration/save", data=form, content_type="multipart/form-data")


def _hidden(page, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def _row(page, key):
    start = page.index(f'data-key="{key}"')
    return page[start:page.index("</tr>", start)]


TYPED = {"name": "表单张三", "id_number": id_number(431), "mobile": "13700000431",
         "retired": "否"}


def test_a_bad_file_beside_a_good_one_keeps_everything_and_the_fix_needs_no_reupload(app, firm):
    response = _post(firm, TYPED, {"archive_proof": ("存档证明.pdf", EXE),
                                   "id_card": ("身份证.pdf", PDF)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = html.unescape(page)
    # the typed values and the chosen answer are there
    assert 'value="表单张三"' in page and f'value="{TYPED["id_number"]}"' in page
    assert 'value="13700000431"' in page
    assert re.search(r'name="retired" value="否"\s+checked', page)
    # the bad file is named in its row, by its label; the good one is kept
    archive = html.unescape(_row(page, "archive_proof"))
    assert "【存档证明】文件“存档证明.pdf”的内容不是PDF" in archive and "field-error" in archive
    kept = html.unescape(_row(page, "id_card"))
    assert "已保留" in kept and "身份证.pdf" in kept and "无需重新上传" in kept
    assert "未保存" in text
    with app.app_context():
        assert db.session.query(RegistrationCase).filter_by(name="表单张三").count() == 0
        held_row = db.session.get(StoredFile, int(_hidden(page, "held_id_card")))
        assert held_row.owner_kind.startswith(files.HELD_PREFIX) and held_row.owner_id is None
    # the fix: only the archive proof is chosen again; the kept ID card comes by its id
    token, held_id = _hidden(page, "held_token"), _hidden(page, "held_id_card")
    response = _post(firm, {**TYPED, "held_token": token, "held_id_card": held_id},
                     {"archive_proof": ("存档证明.pdf", PDF)})
    assert response.status_code == 302
    with app.app_context():
        case = db.session.query(RegistrationCase).filter_by(name="表单张三").one()
        documents = {d.doc_key: d.file for d in case.documents}
        assert set(documents) == {"archive_proof", "id_card"}
        assert documents["id_card"].id == int(held_id)
        assert documents["id_card"].owner_kind == "registration_case"
        assert documents["id_card"].owner_id == case.id


@pytest.mark.parametrize("field, value, named", [
    ("id_number", id_number(432)[:-1] + ("0" if id_number(432)[-1] != "0" else "1"), "校验"),
    ("mobile", "1370000043", "手机号"),
])
def test_a_wrong_id_check_digit_or_mobile_is_named_next_to_the_field(app, firm, field, value,
                                                                       named):
    response = _post(firm, {**TYPED, field: value}, {"id_card": ("身份证.pdf", PDF)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = re.search(rf'id="error-{field}">([^<]*)<', page)
    assert error and named in html.unescape(error.group(1))
    assert f'value="{value}"' in page and 'value="表单张三"' in page
    assert "身份证.pdf" in html.unescape(_row(page, "id_card"))


def test_a_file_over_5mb_is_refused_by_name_and_the_rest_kept(app, firm):
    big = PDF + b"0" * (5 * 1024 * 1024 + 10)
    response = _post(firm, TYPED, {"exam_certificate": ("合格证.pdf", big),
                                   "id_card": ("身份证.pdf", PDF)})
    page = html.unescape(response.get_data(as_text=True))
    assert "合格证.pdf" in page and "超过5MB" in page.replace(" ", "")
    assert "已保留" in _row(page, "id_card")


def test_the_edit_form_comes_back_as_typed_not_as_saved(app, firm):
    assert _post(firm, TYPED).status_code == 302
    with app.app_context():
        case_id = db.session.query(RegistrationCase.id).filter_by(name="表单张三").scalar()
    response = _post(firm, {**TYPED, "case_id": case_id, "name": "表单张三改",
                            "mobile": "123"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="表单张三改"' in page and 'value="123"' in page and 'id="error-mobile"' in page
    with app.app_context():
        case = db.session.get(RegistrationCase, case_id)
        assert case.name == "表单张三" and case.mobile == "13700000431"


def test_held_files_belong_to_their_uploader_and_go_after_a_day(app, world):
    with app.app_context():
        admin = db.session.query(User).filter_by(username=world.a.admin).one()
        other = db.session.query(User).filter_by(username=world.b.admin).one()
        token = files.hold_token()
        row = files.hold(admin, NOW, files.doc_type("t_held", "测试", ("pdf",), 1),
                         files.Upload.from_bytes("a.pdf", PDF), token)
        fresh = files.hold(admin, NOW + dt.timedelta(hours=23), files.doc_type(
            "t_held", "测试", ("pdf",), 1), files.Upload.from_bytes("b.pdf", PDF), token)
        db.session.commit()
        assert files.held(admin, token, [row.id]) == {row.id: row}
        assert files.held(other, token, [row.id]) == {}
        assert files.held(admin, files.hold_token(), [row.id]) == {}
        key = row.stored_name
        assert files.store_backend().exists(key)
        counts = files.purge_held_files(NOW + dt.timedelta(days=1, minutes=1))
        assert counts == {"purged": 1}
        assert db.session.get(StoredFile, row.id) is None and not files.store_backend().exists(key)
        assert db.session.get(StoredFile, fresh.id) is not None
