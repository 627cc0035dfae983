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
