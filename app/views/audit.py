"""审计日志: read-only for Admin and Staff (the row scope shows it to no one else)."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.clock import to_local
from app.models import AuditLog
from app.views.scoping import ScopedModelView


class AuditLogView(ScopedModelView):
    datamodel = SQLAInterface(AuditLog)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = "审计日志"
    show_title = "审计日志详情"
    label_columns = {
        "at": "时间",
        "username": "操作人",
        "entity": "对象",
        "entity_id": "对象ID",
        "action": "操作",
        "from_state": "原状态",
        "to_state": "新状态",
        "changes": "变更内容",
    }
    list_columns = ["at", "username", "entity", "entity_id", "action", "from_state", "to_state"]
    show_columns = list_columns + ["changes"]
    export_columns = show_columns
    search_columns = ["at", "username", "entity", "entity_id", "action", "to_state"]
    order_columns = ["at", "username", "entity", "action"]
    base_order = ("at", "desc")
    formatters_columns = {"at": lambda v: to_local(v).strftime("%Y-%m-%d %H:%M:%S") if v else ""}
