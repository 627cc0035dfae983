"""Spreadsheet imports: bounded reading (reading.py), import kinds and the batch lifecycle
every importer shares (kinds.py, batches.py)."""
from app.workflows.core.importing.reading import (  # noqa: F401
    ERROR_COLUMN,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_ROWS_READ,
    Column,
    FileProblem,
    Importer,
    Parsed,
    Problem,
    Row,
    cell_value,
    detect_format,
    display_name,
    error_report,
    estimate_rows,
    inspect_xlsx,
    parse,
    raw_text,
    template,
)
