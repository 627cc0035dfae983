"""The one file store: content checks, limits, names, rollback, scoped streamed downloads."""
import io
import zipfile

import pytest
from flask_appbuilder.security.sqla.models import User
from PIL import Image

from app.extensions import db
from app.models import StoredFile
from app.workflows import messages
from app.workflows.core import files
from app.workflows.core.commands import command
from app.workflows.core.errors import NotFoundError, ValidationError
from tests.helpers import NOW

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
ANY = files.doc_type("test_any", "测试文件", ("pdf", "jpg", "png", "docx", "xlsx", "doc", "txt"),
                     max_mb=1)


def _png(size=(4, 4)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _zip(names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def _store(ctx, name, data, kind=ANY):
    staff = ctx.query(User).first()
    return files.store(staff, NOW, kind, files.Upload.from_bytes(name, data), "test", 1)


@pytest.mark.parametrize("name,data,reason", [
    ("合同.pdf", EXE, "内容不是PDF"),
    ("照片.png", PDF, "内容不是PNG 图片"),
    ("报告.docx", _zip(["xl/workbook.xml", "[Content_Types].xml"]), "内容不是Word 文档"),
    ("报告.docx", _zip(["hello.txt"]), "内容不是Word 文档"),
    ("表格.xlsx", b"PK\x03\x04 not really a zip", "内容不是Excel 工作簿"),
    ("扫描件.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "不是完整的图片"),
    ("程序.exe", EXE, "类型不符合要求"),
    ("空.pdf", b"", "空文件"),
])
def test_uploads_are_judged_by_content(ctx, world, name, data, reason):
    with pytest.raises(ValidationError, match=reason) as error:
        _store(ctx, name, data)
    assert name.split(".")[0] in error.value.message  # the message names the file


def test_real_files_of_each_kind_are_kept_with_a_random_name(ctx, world):
    docx = _zip(["word/document.xml", "[Content_Types].xml"])
    for name, data, kind in (("a.pdf", PDF, "pdf"), ("b.png", _png(), "png"),
                             ("c.docx", docx, "docx"), ("说明.txt", "中文说明".encode(), "txt")):
        row = _store(ctx, name, data)
        assert row.kind == kind and row.size == len(data) and row.original_name == name
        assert row.stored_name != name and files.store_backend().exists(row.stored_name)
        with files.store_backend().open(row.stored_name) as fh:
            assert fh.read() == data


def test_the_size_limit_of_the_type_names_the_file_and_the_limit(ctx, world):
    with pytest.raises(ValidationError, match=r"“大.pdf”超过1M"):
        _store(ctx, "大.pdf", PDF + b"0" * (1024 * 1024))


def test_original_names_are_neutralised():
    assert files.clean_name("../../etc/passwd") == "passwd"
    assert files.clean_name("C:\\temp\\报表<1>.xlsx") == "报表_1_.xlsx"
    assert files.clean_name("a\r\nb.pdf") == "a_b.pdf"
    assert len(files.clean_name("长" * 300 + ".pdf")) == 200


def test_a_failed_command_leaves_no_bytes_behind(ctx, world):
    staff = ctx.query(User).first()
    kept = []

    @command
    def upload_then_refuse(actor, now):
        row = files.store(actor, now, ANY, files.Upload.from_bytes("a.pdf", PDF), "test", 1)
        kept.append(row.stored_name)
        raise ValidationError("后面的检查没有通过")

    with pytest.raises(ValidationError):
        upload_then_refuse(staff, NOW)
    assert kept and not files.store_backend().exists(kept[0])
    assert ctx.query(StoredFile).count() == 0


def test_downloads_stream_with_headers_ranges_and_the_owners_policy(app, world, make_client):
    with app.app_context():
        a_admin = db.session.query(User).filter_by(username=world.a.admin).one()
        messages.start_consultation(a_admin, NOW, "其他", "带附件的咨询",
                                    [files.Upload.from_bytes("年检 报告（2026）.pdf", PDF)])
        file_id = db.session.query(StoredFile).one().id
    owner = make_client()
    owner.login(world.a.admin)
    response = owner.get(f"/messages/attachment/{file_id}")
    assert response.status_code == 200 and response.get_data() == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert response.headers["Content-Type"].startswith("application/pdf")
    partial = owner.get(f"/messages/attachment/{file_id}", headers={"Range": "bytes=0-7"})
    assert partial.status_code == 206 and partial.get_data() == PDF[:8]
    other = make_client()
    other.login(world.b.admin)
    assert other.get(f"/messages/attachment/{file_id}").status_code == 404
    with app.app_context():
        b_admin = db.session.query(User).filter_by(username=world.b.admin).one()
        with pytest.raises(NotFoundError):
            files.readable(b_admin, file_id)
        for bad in ("x", 2**40, -1):
            with pytest.raises(NotFoundError):
                files.readable(a_admin, bad)


def test_a_renamed_executable_attachment_is_refused_through_the_page(app, world, make_client):
    client = make_client()
    client.login(world.a.admin)
    response = client.post_form("/messages/consultation/new", {
        "business_type": "其他", "body": "请看附件",
        "attachments": (io.BytesIO(EXE), "说明.pdf")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "“说明.pdf”的内容不是PDF" in page
    with app.app_context():
        assert db.session.query(StoredFile).count() == 0
        from app.models import Consultation

        assert db.session.query(Consultation).count() == 0  # all or nothing


def test_human_sizes_read_as_the_manual_shows_them():
    assert files.human_size(int(317.39 * 1024 * 1024)) == "317.39M"
    assert files.human_size(2048) == "2K"


def test_a_picture_under_the_other_picture_formats_name_is_kept_by_its_content(ctx, world):
    """A PNG saved as .jpg (phones, scanners) is a picture the type takes: judged and named
    by its content; a type that takes only one of the two still refuses the other."""
    row = _store(ctx, "身份证扫描件.jpg", _png())
    assert (row.kind, row.content_type, row.original_name) == ("png", "image/png",
                                                               "身份证扫描件.png")
    only_jpg = files.doc_type("test_jpg_only", "照片", ("jpg",), max_mb=1)
    with pytest.raises(ValidationError, match="内容不是JPG 图片"):
        _store(ctx, "照片.jpg", _png(), kind=only_jpg)


# --- issue 22: attachments that would harm whoever opens them ---------------------------------

def _office_bomb(inflated_mb=110):
    """A .docx whose one extra part unpacks to `inflated_mb` of zeros (it weighs ~100 KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/blank.bin", "w", force_zip64=True) as part:
            zeros = b"\x00" * (1024 * 1024)
            for _ in range(inflated_mb):
                part.write(zeros)
    return buffer.getvalue()


def test_an_office_file_that_inflates_beyond_the_limit_is_refused_naming_it(ctx, world):
    bomb = _office_bomb()
    assert len(bomb) < 1024 * 1024  # small enough for every slot's size limit
    with pytest.raises(ValidationError, match=r"“申请表\.docx”解压后超过100MB") as error:
        _store(ctx, "申请表.docx", bomb)
    assert error.value.field == ANY.name
    assert ctx.query(StoredFile).count() == 0
    assert _store(ctx, "申请表.docx", _zip(["word/document.xml", "[Content_Types].xml"]))


def test_a_lying_zip_directory_does_not_get_past_the_inflation_check(ctx, world, monkeypatch):
    """The declared sizes pass (the limit is checked against them first) but really
    unpacking counts every byte."""
    from app.workflows.core import archives

    monkeypatch.setattr(archives, "declared_problem", lambda *a, **k: None)
    with pytest.raises(ValidationError, match="解压后超过100MB"):
        _store(ctx, "申请表.docx", _office_bomb())


@pytest.mark.parametrize("name,data,reason", [
    ("扫描件.pdf", PDF + _zip(["evil.html", "run.exe"]), "同时是PDF和 ZIP 压缩包"),
    ("照片.png", _png() + _zip(["evil.html"]), "同时是PNG 图片和 ZIP 压缩包"),
    ("扫描件.pdf", PDF + b"<html><body><script>fetch('/api/v1/person/')</script></body></html>",
     "夹带了网页代码"),
    ("扫描件.pdf", b"%PDF-1.4\n<!DOCTYPE html>\n<svg onload=alert(1)>\n%%EOF\n", "夹带了网页代码"),
])
def test_polyglots_are_refused(ctx, world, name, data, reason):
    with pytest.raises(ValidationError, match=reason) as error:
        _store(ctx, name, data)
    assert name in error.value.message


def test_an_office_bomb_is_refused_through_a_page_and_nothing_is_kept(app, world, make_client):
    """A consultation's attachment slot (the report found a 1 GiB .docx accepted there)."""
    client = make_client()
    client.login(world.a.admin)
    response = client.post_form("/messages/consultation/new", {
        "business_type": "其他", "body": "请看附件",
        "attachments": (io.BytesIO(_office_bomb()), "年检材料.docx")},
        content_type="multipart/form-data")
    assert "“年检材料.docx”解压后超过100MB" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(StoredFile).count() == 0


def test_a_text_download_says_its_charset_once(app, world, make_client):
    with app.app_context():
        a_admin = db.session.query(User).filter_by(username=world.a.admin).one()
        messages.start_consultation(a_admin, NOW, "其他", "附件是文本",
                                    [files.Upload.from_bytes("说明.txt", "年检说明".encode())])
        file_id = db.session.query(StoredFile).one().id
    owner = make_client()
    owner.login(world.a.admin)
    response = owner.get(f"/messages/attachment/{file_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
