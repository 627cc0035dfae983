"""Builders for the 学时申请 tests."""
from app.models import PersonType
from app.roles import MEMBER
from app.workflows.applications.rules import ApplicationInput
from app.workflows.core import files
from tests.helpers import make_person, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def proof(name="证明材料.pdf"):
    return [files.Upload.from_bytes(name, PDF)]


def non_practicing_member(app, firm_id, username="nonprac1"):
    """A 非执业会员 with a member login."""
    person_id = make_person(app, firm_id, "王非执", serial=21, person_type=PersonType.NON_PRACTICING)
    make_user(app, username, MEMBER, firm_id=firm_id, person_id=person_id)
    return person_id, username


def output(route="在协会组织的培训中授课", quantity="2", year=2026, remark="授课证明"):
    return ApplicationInput(kind="产出式", year=year, route=route, quantity=quantity,
                            remark=remark)


def inputs(hours="8", year=2026, organizer="北京国家会计学院", route="参加其他机构举办的专业培训"):
    return ApplicationInput(kind="投入式", year=year, route=route, organizer=organizer,
                            hours=hours, category="专业课", remark="结业证书")


def exemption(condition="出国（境）六个月以上", year=2026):
    return ApplicationInput(kind="豁免", year=year, route=condition, remark="护照出入境记录")
