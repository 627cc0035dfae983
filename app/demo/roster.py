"""Demo data of 从业人员管理: each firm's non-CPA staff go through the real whole-list import
(kj + mobile accounts; a 非执业会员 also signs in with its 会员证书编号); the first firm's list
then names one of the second firm's staff, who waits to confirm the transfer (the firm's
待办 人员转入待确认, staff's 人员转入 queue)."""
import datetime as dt

from app.extensions import db
from app.models import Firm, Person, PersonStatus, PersonType
from app.workflows.core import standing


def seed(now) -> list[tuple[str, str, str, str]]:
    """Each firm's non-CPA staff go through the real whole-list import (kj + mobile)."""
    import csv
    import io

    from app.demo.registry import member_row
    from app.workflows import staff_list
    from app.workflows.core.scoping import SystemActor

    actor = SystemActor("系统（演示数据）")
    rows = []
    for firm in db.session.query(Firm).order_by(Firm.code):
        people = [p for p in db.session.query(Person).filter_by(firm_id=firm.id)
                  if p.person_type != PersonType.CPA and standing.active(p)]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(staff_list.IMPORTER.headers)
        for p in people:
            writer.writerow([p.name, p.phone, p.id_number, p.person_type, p.position])
        batch = staff_list.preview(actor, now, firm, "demo.csv", buffer.getvalue().encode())
        staff_list.commit(actor, now, batch.token, confirm_mass_revoke=True)
        for kind in (PersonType.NON_PRACTICING, PersonType.OTHER):
            person = next((p for p in people if p.person_type == kind), None)
            if person is not None and not any(row[3].startswith(kind) for row in rows):
                rows.append(member_row(person, person.phone[-6:]))
    _transfer(now)
    return rows


def _transfer(now) -> None:
    """The first firm lists a 其他从业人员 of the second firm: one pending transfer, as the
    list import records it (registry.transfers.request_many)."""
    from flask_appbuilder.security.sqla.models import User

    from app.workflows.registry import transfers

    first, second = (db.session.query(Firm).order_by(Firm.code).limit(2).all() + [None, None])[:2]
    if first is None or second is None:
        return
    admin = db.session.query(User).filter_by(username=first.admin_username).first()
    person = (db.session.query(Person).filter_by(firm_id=second.id, status=PersonStatus.ACTIVE,
                                                 person_type=PersonType.OTHER)
              .order_by(Person.id.desc()).first())
    if admin is None or person is None:
        return
    transfers.request_many(admin, now - dt.timedelta(days=2), first, [
        {"id": person.id, "position": "审计员", "person_type": person.person_type}])

