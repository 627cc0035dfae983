"""The firm admin's pages of 事务所内部培训 (seed 000 §6; staff read every firm's): one view built
from a mixin per section of the manual."""
from flask_appbuilder import BaseView

from app.views.inhouse.classes import ClassPages
from app.views.inhouse.qualification import QualificationPages
from app.views.inhouse.roster import RosterPages
from app.views.inhouse.yearend import YearEndPages


class InhouseClassesView(QualificationPages, ClassPages, RosterPages, YearEndPages, BaseView):
    """The firm admin's pages (staff read the lists and rosters of every firm)."""

    route_base = "/inhouse"
    class_permission_name = "Inhouse"
    chinese_name = "事务所内部培训"  # 用户权限 names the view and its permission so
    permission_labels = {"can_report": "上报"}
    default_view = "index"
    method_permission_name = {
        "qualification": "report", "qualification_template": "report",
        "index": "read", "class_add": "report", "class_edit": "report",
        "class_delete": "report", "report_roster": "report", "roster": "read",
        "entry_add": "report", "entry_edit": "report", "person_lookup": "report", "entry_delete": "report",
        "cicpa_export": "read", "year_report": "report", "attachment": "read",
    }
