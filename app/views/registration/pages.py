"""The one view of 注册业务's pages: its routes come from one mixin per section of seed 004."""
from flask_appbuilder import BaseView

from app.views.registration.booking import BookingPages
from app.views.registration.filing import FilingPages
from app.views.registration.onsite import OnsitePages
from app.views.registration.records import RecordPages


class RegistrationView(FilingPages, RecordPages, BookingPages, OnsitePages, BaseView):
    """业务办理, 办理记录, the case page, 预约 and 预约记录 (filers); review and 现场办理 (staff)."""

    route_base = "/registration"
    class_permission_name = "Registration"
    chinese_name = "注册业务"  # 用户权限 names the view and its permissions so
    permission_labels = {"can_file": "办理业务", "can_read": "查看办理记录", "can_review": "审核",
                         "can_book": "预约"}
    default_view = "index"
    method_permission_name = {
        "index": "file", "pledge": "file", "choose": "file", "form": "file", "save": "file",
        "step": "file", "booking": "file", "slots": "file", "book": "file",
        "reschedule": "file", "cancel": "file", "suggest": "file", "filled": "file",
        "records": "read", "export": "read", "case": "read", "document": "read",
        "template": "read", "appointments": "read", "appointment": "read", "appointment_ics": "read",
        "review": "review", "onsite": "review", "check_in": "review",
    }
