"""The one file store every upload goes through, and the one way files go back out.

Storing (`store`): the upload is streamed in chunks to a temporary file in the store (a
500 MB handout never sits in memory), hashed as it goes, then its *content* is checked
against the document type's allowed kinds — a renamed .exe is not a .pdf, a .docx or
.xlsx must be the right kind of zip, a .doc/.xls the right kind of OLE file, an image must
decode — and its size against the type's limit. The stored name is random; the original
name is kept only as text, neutralised. Every refusal is a Chinese message naming the file
and the limit.

Reading (`readable`, `send`): who may read a file is the policy of its owner kind, which the
owning domain declares (`file_owners={"notice": can_read}` in its DOMAIN; create_app calls
`register_owner`), never the file's own row; downloads stream from
disk with `Content-Disposition: attachment` (UTF-8 name), `X-Content-Type-Options: nosniff`
and Range support, so hundreds of MB stream with flat memory.

The store sits behind `FileStore` (open / save / delete by key). The default is a directory
(UPLOAD_FOLDER, a shared volume when there are several workers); README explains how an
S3-compatible object store plugs in through a maintained client (boto3).
"""
import dataclasses
import datetime as dt
import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from pathlib import Path
from typing import Callable

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import StoredFile
from app.workflows.core import archives
from app.workflows.core.errors import NotFoundError, ValidationError
from app.workflows.core.jobs import job
from app.workflows.core.scoping import is_institute

CHUNK = 1024 * 1024
MB = 1024 * 1024

# kind -> (extensions, MIME type, label shown in messages)
KINDS = {
    "pdf": ((".pdf",), "application/pdf", "PDF"),
    "jpg": ((".jpg", ".jpeg"), "image/jpeg", "JPG 图片"),
    "png": ((".png",), "image/png", "PNG 图片"),
    "doc": ((".doc",), "application/msword", "Word 97-2003 文档"),
    "docx": ((".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "Word 文档"),
    "xls": ((".xls",), "application/vnd.ms-excel", "Excel 97-2003 工作簿"),
    "xlsx": ((".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "Excel 工作簿"),
    "ppt": ((".ppt",), "application/vnd.ms-powerpoint", "PowerPoint 97-2003 演示文稿"),
    "pptx": ((".pptx",),
             "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "PowerPoint 演示文稿"),
    "txt": ((".txt",), "text/plain; charset=utf-8", "文本文件"),
    "csv": ((".csv",), "text/csv; charset=utf-8", "CSV 文件"),
    "ics": ((".ics",), "text/calendar; charset=utf-8", "日历文件"),
    "zip": ((".zip",), "application/zip", "ZIP 压缩包"),
    "rar": ((".rar",), "application/vnd.rar", "RAR 压缩包"),
    "mp4": ((".mp4",), "video/mp4", "MP4 视频"),
}
IMAGES = {"jpg", "png"}
TEXT_KINDS = {"csv", "ics"}  # plain text by their bytes: judged as text
EXTENSION_KIND = {ext: kind for kind, (exts, _mime, _label) in KINDS.items() for ext in exts}
OOXML_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml",
              "pptx": "ppt/presentation.xml"}
OLE_STREAM = {"doc": ("WordDocument",), "xls": ("Workbook", "Book"),
              "ppt": ("PowerPoint Document",)}


@dataclasses.dataclass(frozen=True)
class DocType:
    """A kind of document the app accepts: which contents, how large."""

    name: str
    label: str
    kinds: tuple
    max_bytes: int

    @property
    def extensions(self) -> list[str]:
        return [ext for kind in self.kinds for ext in KINDS[kind][0]]

    @property
    def accept(self) -> str:
        """For <input type=file accept=…>."""
        return ",".join(self.extensions)

    @property
    def describe(self) -> str:
        return f"{'、'.join(self.extensions)}，不超过{human_size(self.max_bytes)}"


def doc_type(name: str, label: str, kinds, max_mb: float) -> DocType:
    """A document type (a plain object: the module that takes it keeps it)."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown file kinds {unknown}")
    return DocType(name, label, tuple(kinds), int(max_mb * MB))


def human_size(size: int) -> str:
    """317.39M as the manual shows sizes (K below one MB)."""
    if size >= MB:
        value = f"{size / MB:.2f}".rstrip("0").rstrip(".")
        return f"{value}M"
    return f"{max(size, 1) / 1024:.0f}K" if size >= 1024 else f"{size}B"


# --- the store ------------------------------------------------------------------------------

class FileStore:
    """Where the bytes live, by key. Subclass for another backend (see README)."""

    def save_from(self, key: str, source_path: Path) -> None:
        raise NotImplementedError

    def path(self, key: str) -> Path | None:
        """A local path to stream from (None for a remote store: use open())."""
        return None

    def open(self, key: str):
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def spool_dir(self) -> Path:
        raise NotImplementedError


class DirectoryStore(FileStore):
    """Files under one folder, two levels of fan-out, outside every static folder."""

    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", key):
            raise NotFoundError("文件不存在")
        return self.root / key[:2] / key

    def spool_dir(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def save_from(self, key, source_path):
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source_path, target)

    def path(self, key):
        return self._path(key)

    def open(self, key):
        return self._path(key).open("rb")

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)

    def exists(self, key):
        return self._path(key).is_file()


def store_backend() -> FileStore:
    app = current_app
    backend = app.extensions.get("file_store")
    if backend is None:
        backend = DirectoryStore(Path(app.config["UPLOAD_FOLDER"]) / "files")
        app.extensions["file_store"] = backend
    return backend


# --- names and contents -----------------------------------------------------------------------

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def clean_name(filename: str | None) -> str:
    """An uploaded file's name as text only: no path, no control or reserved characters."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" .") or "文件"
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[:200 - len(ext)] + ext
    return name


def _sniff(path: Path, head: bytes) -> str | None:
    """The content kind of a file, judged by its bytes."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(path)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    if len(head) > 8 and head[4:8] == b"ftyp":
        return "mp4"
    import filetype  # a maintained magic-number library for what is left

    guess = filetype.guess(head)
    if guess is not None:
        return guess.extension
    if b"\x00" not in head:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                head.decode(encoding)
                return "txt"
            except UnicodeDecodeError as error:
                if error.start > len(head) - 4:  # a character cut by the sample's end
                    return "txt"
    return None


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    for kind, part in OOXML_PART.items():
        if part in names and "[Content_Types].xml" in names:
            return kind
    return "zip"


def _ole_kind(path: Path) -> str | None:
    import olefile  # maintained reader of the OLE2 container of .doc/.xls/.ppt

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except (OSError, ValueError):
        return None
    for kind, wanted in OLE_STREAM.items():
        if any(name in streams for name in wanted):
            return kind
    return None


def _image_decodes(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            image.load()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


# --- contents that would harm whoever opens them (issue 22) ------------------------------------

ZIP_BASED = ("docx", "xlsx", "pptx", "zip")
MAX_INFLATED = 100 * MB  # a package's parts, unpacked (at least; 4 × the slot's size limit)
MAX_PARTS = 5000
# markup a browser would run if it ever took the file for a page (a PDF/HTML polyglot)
HTML_MARKERS = re.compile(rb"<\s*(?:script|html|body|iframe|svg|object|embed|meta|!doctype\s+html)"
                          rb"[\s>/]", re.IGNORECASE)


def _inflation_problem(path: Path, name: str, kind_of: DocType, limit: int) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            problem = archives.declared_problem(archive, limit, MAX_PARTS)
            if problem == archives.TOO_MANY_PARTS:
                return f"文件“{name}”包含的部件过多（超过{MAX_PARTS}个），不能作为{kind_of.label}上传"
            if problem is None and archives.inflates_within(archive, limit):
                return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError, ValueError):
        return f"文件“{name}”已损坏或加密，无法打开，请重新保存后上传"
    return (f"文件“{name}”解压后超过{archives.megabytes(limit)}（内容被异常地高度压缩，"
            f"打开时可能耗尽电脑内存），不能作为{kind_of.label}上传，请检查文件后重新保存再上传")


def _has_markup(path: Path) -> bool:
    carry = b""
    with path.open("rb") as source:
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                return False
            if HTML_MARKERS.search(carry + chunk):
                return True
            carry = chunk[-64:]


def _refuse_harmful(path: Path, kind: str, name: str, kind_of: DocType) -> None:
    """An Office file or zip that unpacks beyond the limit (the import batch's check, for
    every attachment slot); a PDF or image that is also a zip, a PDF that is also a web
    page (polyglots): refused, in Chinese, naming the file."""
    if kind in ZIP_BASED:
        problem = _inflation_problem(path, name, kind_of, max(MAX_INFLATED, 4 * kind_of.max_bytes))
        if problem:
            raise ValidationError(problem, kind_of.name)
    elif kind in ("pdf", "jpg", "png") and zipfile.is_zipfile(path):
        raise ValidationError(f"文件“{name}”同时是{KINDS[kind][2]}和 ZIP 压缩包（夹带了其他文件），"
                              f"请重新导出或扫描为单纯的{KINDS[kind][2]}后上传", kind_of.name)
    if kind == "pdf" and _has_markup(path):
        raise ValidationError(f"文件“{name}”中夹带了网页代码，不是单纯的 PDF，请用打印为 PDF 或"
                              f"扫描的方式重新生成后上传", kind_of.name)


# --- storing -----------------------------------------------------------------------------------

@dataclasses.dataclass
class Upload:
    """What a view hands over: a name and a readable binary stream (or bytes)."""

    filename: str
    stream: object

    @classmethod
    def of(cls, storage) -> "Upload":
        """From a werkzeug FileStorage."""
        return cls(storage.filename or "", storage.stream)

    @classmethod
    def from_bytes(cls, filename: str, data: bytes) -> "Upload":
        return cls(filename, io.BytesIO(data))


def check(kind_of: DocType, upload: Upload) -> None:
    """Refuse by name before reading: an extension the type does not take."""
    name = clean_name(upload.filename)
    ext = os.path.splitext(name)[1].lower()
    if ext not in kind_of.extensions:
        raise ValidationError(f"文件“{name}”的类型不符合要求：{kind_of.label}须为"
                              f"{'、'.join(kind_of.extensions)}", kind_of.name)


def store(actor, now: dt.datetime, kind_of: DocType, upload: Upload, owner_kind: str,
          owner_id: int | None = None) -> StoredFile:
    """Stream, check and keep one upload; returns its row (added to the session, not
    committed: the caller's command commits it with whatever it belongs to)."""
    name = clean_name(upload.filename)
    check(kind_of, upload)
    expected = EXTENSION_KIND[os.path.splitext(name)[1].lower()]
    backend = store_backend()
    spool = backend.spool_dir() / f"up-{secrets.token_hex(12)}"
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with spool.open("wb") as out:
            while True:
                chunk = upload.stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > kind_of.max_bytes:
                    raise ValidationError(f"文件“{name}”超过{human_size(kind_of.max_bytes)}，"
                                          f"{kind_of.label}不能超过{human_size(kind_of.max_bytes)}",
                                          kind_of.name)
                if len(head) < 8192:
                    head += chunk[:8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationError(f"文件“{name}”是空文件", kind_of.name)
        found = _sniff(spool, head)
        if found == "jpeg":
            found = "jpg"
        if found != expected and {found, expected} <= IMAGES and found in kind_of.kinds:
            # a picture saved under the other picture format's name (phones and scanners do
            # it): an image the type takes, judged by its content and named by it
            expected = found
            name = os.path.splitext(name)[0] + KINDS[found][0][0]
        if found != expected and not (expected in TEXT_KINDS and found == "txt"):
            shown = KINDS[found][2] if found in KINDS else "无法识别的格式"
            raise ValidationError(f"文件“{name}”的内容不是{KINDS[expected][2]}（实际为{shown}，"
                                  f"可能只是改了扩展名），请上传真实的{'、'.join(kind_of.extensions)}"
                                  f"文件", kind_of.name)
        if expected in ("jpg", "png") and not _image_decodes(spool):
            raise ValidationError(f"文件“{name}”不是完整的图片，无法打开，请重新扫描或导出后上传",
                                  kind_of.name)
        _refuse_harmful(spool, expected, name, kind_of)
        key = secrets.token_hex(16)
        backend.save_from(key, spool)
    finally:
        spool.unlink(missing_ok=True)
    row = StoredFile(owner_kind=owner_kind, owner_id=owner_id, doc_type=kind_of.name,
                     stored_name=key, original_name=name, content_type=KINDS[expected][1],
                     kind=expected, size=size, sha256=digest.hexdigest(),
                     uploaded_by_id=getattr(actor, "id", None), created_at=now)
    db.session.add(row)
    _on_rollback_delete(key)
    return row


def _on_rollback_delete(key: str) -> None:
    """A file stored by a command that then fails must not stay on disk."""
    db.session().info.setdefault("files_added", []).append(key)


@event.listens_for(Session, "after_commit")
def _files_committed(session):
    session.info.pop("files_added", None)
    doomed = session.info.pop("files_removed", [])
    if doomed:
        backend = store_backend()
        for key in doomed:
            backend.delete(key)


@event.listens_for(Session, "after_soft_rollback")
def _files_rolled_back(session, previous_transaction):
    if previous_transaction.parent is not None:  # a savepoint: the outer one decides
        return
    session.info.pop("files_removed", None)
    added = session.info.pop("files_added", [])
    if added and has_app_context():
        backend = store_backend()
        for key in added:
            try:
                backend.delete(key)
            except Exception:  # noqa: BLE001 — best effort
                pass


def attach(files: list[StoredFile], owner_id: int) -> None:
    for row in files:
        row.owner_id = owner_id


def remove(row: StoredFile) -> None:
    """Forget a file (the bytes go once the transaction has committed)."""
    db.session.delete(row)
    db.session().info.setdefault("files_removed", []).append(row.stored_name)


def of_owner(owner_kind: str, owner_ids) -> dict[int, list[StoredFile]]:
    """Files of several owners at once (no query per owner)."""
    owner_ids = list(owner_ids)
    result: dict[int, list[StoredFile]] = {i: [] for i in owner_ids}
    if not owner_ids:
        return result
    for row in db.session.scalars(
            select(StoredFile).where(StoredFile.owner_kind == owner_kind,
                                     StoredFile.owner_id.in_(owner_ids)).order_by(StoredFile.id)):
        result.setdefault(row.owner_id, []).append(row)
    return result


# --- held files: accepted uploads of a form that was refused for another reason -------------

HELD_PREFIX = "held:"
HELD_FOR = dt.timedelta(days=1)
_TOKEN = re.compile(r"^[0-9a-f]{24}$")


def hold_token(value: str | None = None) -> str:
    """The form's token for its held files: the one it carried, or a new one."""
    value = (value or "").strip().lower()
    return value if _TOKEN.match(value) else secrets.token_hex(12)


def hold(actor, now: dt.datetime, kind_of: DocType, upload: Upload, token: str) -> StoredFile:
    """Store an upload that was accepted while its form was refused (a bad file beside it, a
    wrong ID number…): the form comes back naming it and sends its id again with the fix, so
    nobody uploads it twice. It belongs to nothing until `claim`; `purge_held_files` forgets
    what was never claimed after HELD_FOR."""
    return store(actor, now, kind_of, upload, HELD_PREFIX + hold_token(token), None)


def held(actor, token: str, file_ids) -> dict[int, StoredFile]:
    """The held files of this form (its token) that this user uploaded, by id; ids of anyone
    else's files or of files already claimed are ignored."""
    ids = []
    for value in file_ids or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**31:
            ids.append(number)
    if not ids or not _TOKEN.match(token or ""):
        return {}
    rows = db.session.scalars(select(StoredFile).where(
        StoredFile.id.in_(ids[:50]), StoredFile.owner_kind == HELD_PREFIX + token,
        StoredFile.uploaded_by_id == getattr(actor, "id", None)))
    return {row.id: row for row in rows}


def claim(row: StoredFile, owner_kind: str, owner_id: int) -> StoredFile:
    """A held file joins what it was uploaded for (in the caller's transaction)."""
    row.owner_kind, row.owner_id = owner_kind, owner_id
    return row


@job("purge_held_files", schedule="interval:3600", description="清理未提交表单中保留超过一天的文件",
     labels={"purged": "已清理"})
def purge_held_files(now: dt.datetime) -> dict:
    stale = db.session.scalars(select(StoredFile).where(
        StoredFile.owner_kind.startswith(HELD_PREFIX), StoredFile.owner_id.is_(None),
        StoredFile.created_at < now - HELD_FOR)).all()
    for row in stale:
        remove(row)
    db.session.commit()
    return {"purged": len(stale)}


# --- reading -----------------------------------------------------------------------------------

READERS: dict[str, Callable] = {}


def register_owner(owner_kind: str, can_read: Callable) -> None:
    """`can_read(actor, owner_id) -> bool` decides who may download this kind's files.
    create_app calls it for each domain's DOMAIN.file_owners; the same policy again is a
    no-op, another policy for an owner kind already taken is refused."""
    known = READERS.get(owner_kind)
    if known is not None and known is not can_read:
        raise RuntimeError(f"file owner kind {owner_kind!r} has two read policies "
                           f"({known.__module__}.{known.__qualname__} and "
                           f"{can_read.__module__}.{can_read.__qualname__})")
    READERS[owner_kind] = can_read


def readable(actor, file_id) -> StoredFile:
    """The file if `actor` may read it (staff may read every file), else NotFoundError."""
    try:
        key = int(file_id)
    except (TypeError, ValueError):
        raise NotFoundError("文件不存在") from None
    row = db.session.get(StoredFile, key) if -2**31 < key < 2**31 else None
    if row is None:
        raise NotFoundError("文件不存在")
    if is_institute(actor):
        return row
    policy = READERS.get(row.owner_kind)
    if policy is None or row.owner_id is None or not policy(actor, row.owner_id):
        raise NotFoundError("文件不存在")
    return row


def send(row: StoredFile, inline: bool = False):
    """The response that streams a stored file (Range requests honoured)."""
    from flask import send_file

    backend = store_backend()
    path = backend.path(row.stored_name)
    source = path if path is not None else backend.open(row.stored_name)
    if path is not None and not path.is_file():
        raise NotFoundError("文件不存在")
    # werkzeug adds "; charset=utf-8" to a text type itself: name it once
    mimetype = (row.content_type or "application/octet-stream").split(";")[0].strip()
    response = send_file(source, mimetype=mimetype,
                         as_attachment=not inline, download_name=row.original_name,
                         conditional=True, etag=row.sha256 or True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if inline:  # a preview in the page: still never run as active content
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; " \
                                                      "style-src 'unsafe-inline'; sandbox"
    return response


def config_ready() -> bool:
    return has_app_context() and "UPLOAD_FOLDER" in current_app.config
