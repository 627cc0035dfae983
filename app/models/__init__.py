"""Domain models, one module per area. Importing this package registers them all."""
from app.models.account import Account  # noqa: F401
from app.models.audit import AuditLog  # noqa: F401
from app.models.firm import Firm, FirmStatus  # noqa: F401
from app.models.imports import ImportBatch, ImportStatus  # noqa: F401
from app.models.person import (  # noqa: F401
    Gender, Person, PersonStatus, PersonTransfer, PersonType, TransferStatus)
from app.models.messaging import (  # noqa: F401
    Attachment,
    Audience,
    Consultation,
    ConsultationReply,
    ConsultationStatus,
    FaqEntry,
    HelpDocument,
    JobLease,
    JobRun,
    Message,
    MessageKind,
    Notice,
    NoticeFirm,
    OutboxMail,
    OutboxSms,
    OutboxStatus,
    PasswordResetCode,
    PolicyText,
    ReminderLog,
    Suggestion,
)
