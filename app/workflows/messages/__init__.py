"""消息中心 (seed 004 §7, seed 000 §4.4): system messages other workflows send, the inbox,
notices staff publish, consultation threads and reminders.

    notify(users, title, body, now)                                   # 系统消息 (+ mail)
    remind(user, kind, target, thresholds_due, now, title, body)      # idempotent reminders
    decision_recipients(person_id=…, firm_id=…, filer_id=…)          # who is told of a decision
"""
from app.workflows.messages.consultations import (  # noqa: F401
    BUSINESS_TYPES, MACHINE, OWNER_REPLY, awaiting_condition, awaits, close_consultation,
    consultations_query, get_consultation, managed_cpas_query, reply_consultation, reply_files,
    start_consultation)
from app.workflows.messages.inbox import (  # noqa: F401
    get_message, inbox_query, mark_read, unread_counts)
from app.workflows.messages.notices import (  # noqa: F401
    ATTACHMENT, OWNER_NOTICE, NoticeInput, delete_notice, get_notice, notice_files,
    notice_for_reader, notice_read_counts, publish_notice, publish_notices, recipients_query,
    save_notice)
from app.workflows.messages.notify import notify, plain_text, sanitize_html  # noqa: F401
from app.workflows.messages.recipients import (  # noqa: F401
    decision_recipients, firm_admin, person_users, quoted)
from app.workflows.messages.reminders import remind  # noqa: F401
