"""注册业务 (issue 10, seed 004 §3–§6): cases (cases.py), the requirements table
(requirements.py), booking (booking.py), the case types (types.py), documents (documents.py)."""
from app.workflows.registration import booking, cases, help_source, requirements, types  # noqa: F401,E501
