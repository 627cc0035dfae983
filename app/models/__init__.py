"""Domain models, one module per domain (registry, accounts, messages, help) plus the
platform's own (audit, files, imports, jobs, outbox). Importing this package registers them
all; every model declares its row scope (`__scope__`, app/models/scope.py)."""
from app.models.scope import Actors, Scope  # noqa: F401
from app.models.registry import (  # noqa: F401
    Firm, FirmStatus, Gender, Person, PersonStatus, PersonTransfer, PersonType, TransferStatus)
from app.models.accounts import Account, CodePurpose, LoginAddress, PasswordResetCode  # noqa: F401
from app.models.audit import AuditLog, StatusHistory  # noqa: F401
from app.models.files import StoredFile  # noqa: F401
from app.models.imports import ImportBatch, ImportStatus  # noqa: F401
from app.models.jobs import JobLease, JobRun, JobState  # noqa: F401
from app.models.outbox import (  # noqa: F401
    NotifyPreference, OutboxMail, OutboxSms, OutboxStatus, OutboxWechat, WechatBindTicket,
    WechatToken)
from app.models.messages import (  # noqa: F401
    Audience, Consultation, ConsultationReply, ConsultationStatus, Message, MessageKind, Notice,
    NoticeFirm, ReminderLog)
from app.models.help import FaqEntry, HelpDocument, PolicyText, Suggestion  # noqa: F401
from app.models.hours import (  # noqa: F401
    Category, CpeExemption, CpeRequirement, Delivery, HourCertificate, HourMonthTotal,
    HourRecord, HourYearTotal, SourceKind)
from app.models.training import (  # noqa: F401
    Audience as TrainingAudience, Enrollment, EnrollmentStatus, PersonKind, TrainingClass,
    TrainingResult, WaitlistEntry)
from app.models.registration import (  # noqa: F401
    Appointment, AppointmentStatus, CalendarDay, CaseDocument, CaseStatus, DocRequirement,
    RegistrationCase, SlotTemplate, SlotUsage)
from app.models.inhouse import (  # noqa: F401
    Acquisition, EntryStatus, InhouseClass, InhouseQualification, InhouseRosterEntry,
    InhouseYearReport, ReviewStatus)
from app.models.applications import (  # noqa: F401
    ApplicationKind, ApplicationStatus, HourApplication)
from app.models.learning import (  # noqa: F401
    Course, FeeStatus, InstituteChoice, LearningFee, LearningInstitute, LessonProgress,
    ProgressStatus)
