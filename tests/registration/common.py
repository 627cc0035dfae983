"""Shared helpers of the registration tests: files, users, filing a complete case."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User

from app.models import PersonStatus
from app.extensions import db
from app.models import Person, PersonType
from app.roles import MEMBER
from app.workflows.core import files
from app.workflows.registration import booking, cases, requirements
from tests.helpers import PASSWORD, id_number

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Thursday 2026-12-03 10:00 Beijing
NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)


def user(session, username) -> User:
    return session.query(User).filter_by(username=username).one()


def setup_tables(session):
    requirements.install_defaults(session)
    booking.install_default_slots(session)
    session.commit()


def pdf(name="材料.pdf"):
    return files.Upload.from_bytes(name, PDF)


def all_documents(case_type, answers):
    return {row.doc_key: pdf(f"{row.label}.pdf")
            for row in requirements.documents_for(case_type, answers) if row.required}


def register_case(session, actor, name="王五", serial=501, now=NOW, retired="否", complete=True,
                  person_id=None):
    data = {"name": name, "id_number": id_number(serial), "mobile": f"1370000{serial:04d}",
            "retired": retired}
    uploads = all_documents("注册申请", {"retired": retired}) if complete else {}
    return cases.save_case(actor, now, case_type="注册申请", data=data, pledged_at=now,
                           uploads=uploads, person_id=person_id)


def approved_case(session, filer, staff, name="王五", serial=501, now=NOW):
    case = register_case(session, filer, name=name, serial=serial, now=now)
    cases.submit(filer, now, case.id)
    cases.approve(staff, now, case.id)
    return case


def managed_cpa(app_or_session, serial=901, name="赵代管", cert="110100099901"):
    """A 协会代管注册会计师: a CPA person with no firm and a member account."""
    from app.workflows.accounts import logins
    session = db.session
    person = Person(person_type=PersonType.CPA, name=name, id_number=id_number(serial),
                    cert_number=cert, phone=f"1370009{serial:04d}", firm_id=None, status=PersonStatus.ACTIVE)
    session.add(person)
    session.flush()
    logins.create_account(username=cert, display_name=name, role_name=MEMBER,
                          password=PASSWORD, now=NOW, person=person,
                          must_change_password=False)
    session.commit()
    return person
