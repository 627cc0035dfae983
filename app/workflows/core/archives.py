"""Zip packages (.xlsx, .docx, .pptx, .zip) that unpack to far more than they weigh.

One check for the import batch (before a spreadsheet is parsed) and the file store
(before an attachment is kept, whatever slot it goes to: staff open these files in Word
or Excel, or unpack them). The zip directory's declared sizes are checked first (fast);
`inflates_within` then really unpacks every part, counting, and stops at the limit — a
directory that lies about a part's size cannot get past it (zipfile yields no more than
the declared size, and a part cut short fails its checksum).
"""
import zipfile

CHUNK = 1024 * 1024
TOO_MANY_PARTS = "entries"
TOO_LARGE = "size"


def declared_problem(archive: zipfile.ZipFile, max_bytes: int, max_entries: int) -> str | None:
    """TOO_MANY_PARTS, TOO_LARGE (unpacked, as the directory declares it), or None."""
    entries = archive.infolist()
    if len(entries) > max_entries:
        return TOO_MANY_PARTS
    if sum(entry.file_size for entry in entries) > max_bytes:
        return TOO_LARGE
    return None


def inflates_within(archive: zipfile.ZipFile, max_bytes: int) -> bool:
    """Every part really unpacked, in chunks: False as soon as the total passes max_bytes.
    Raises zipfile.BadZipFile (or RuntimeError for an encrypted part) for a broken one."""
    total = 0
    for entry in archive.infolist():
        if entry.is_dir():
            continue
        with archive.open(entry) as part:
            while True:
                chunk = part.read(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    return False
    return True


def megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)}MB"
