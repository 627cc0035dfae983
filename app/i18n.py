"""Compile the gettext catalogs under app/translations at start-up.

Only the .po files are kept in git (`*.mo` is ignored); Flask-Babel reads .mo files,
so create_app compiles any catalog whose .mo is missing or older than its .po.
"""
import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)


def compile_catalogs(directory) -> list[Path]:
    """Write messages.mo next to every messages.po under `directory` that needs it.

    A .mo is rebuilt when it is missing or older than its .po. Each one is written
    to a temporary file in the same folder and moved into place with os.replace,
    so a process starting at the same time sees either the old file or the new
    one, never a half-written one. A folder that cannot be written (read-only
    install) is logged as a warning, not raised. Returns the .mo files written.
    """
    written = []
    for po_path in sorted(Path(directory).glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        try:
            if mo_path.stat().st_mtime_ns > po_path.stat().st_mtime_ns:
                continue
        except FileNotFoundError:
            pass
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        try:
            _write_atomically(mo_path, catalog)
        except OSError as exc:  # e.g. a read-only install: keep serving, say why
            log.warning("cannot write %s (%s): its translations may be missing or stale", mo_path, exc)
            continue
        log.info("compiled %s", mo_path)
        written.append(mo_path)
    return written


def _write_atomically(mo_path: Path, catalog) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=mo_path.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, catalog)
        os.chmod(tmp_name, 0o644)  # mkstemp creates files 0600
        os.replace(tmp_name, mo_path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def skip_translation_for_private_names() -> None:
    """Looking up a `_private` attribute on a lazy string no longer translates it first.

    Flask-Babel's LazyString answers every unknown attribute by translating itself and
    asking the resulting `str`. FAB's BaseView, at start-up, asks each attribute of every
    view whether it has `_permission_name`, `_extra`, `_limit` or `_urls`; the views' titles
    and labels are lazy strings, so every start translated about 1,100 of them (a tenth of
    a CLI command's start-up) only to learn that a `str` has no such attribute. `str` has
    no attribute whose name starts with a single underscore, so the answer is known
    without translating; dunder names still go through the original lookup.
    """
    from flask_babel.speaklater import LazyString

    original = LazyString.__getattr__
    if getattr(original, "_skips_private", False):
        return

    def __getattr__(self, attr):
        if attr.startswith("_") and not attr.startswith("__"):
            raise AttributeError(attr)
        return original(self, attr)

    __getattr__._skips_private = True
    LazyString.__getattr__ = __getattr__
