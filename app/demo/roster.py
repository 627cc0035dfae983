"""Demo data of 从业人员管理: each firm's non-CPA staff go through the real whole-list import
(kj + mobile accounts)."""
from app.extensions import db
from app.models import Firm, Person, PersonStatus, PersonType


def seed(now) -> list[tuple[str, str, str, str]]:
    """Each firm's non-CPA staff go through the real whole-list import (kj + mobile)."""
    import csv
    import io

    from app.workflows import roster
    from app.workflows.core.scoping import SystemActor

    actor = SystemActor("系统（演示数据）")
    rows = []
    for firm in db.session.query(Firm).order_by(Firm.code):
        people = [p for p in db.session.query(Person).filter_by(firm_id=firm.id)
                  if p.person_type != PersonType.CPA and p.status == PersonStatus.ACTIVE]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(roster.IMPORTER.headers)
        for p in people:
            writer.writerow([p.name, p.phone, p.id_number, p.person_type, p.position])
        batch = roster.preview(actor, now, firm, "demo.csv", buffer.getvalue().encode())
        roster.commit(actor, now, batch.token, confirm_mass_revoke=True)
        if people:
            rows.append(("Member", f"kj{people[0].phone}", people[0].phone[-6:],
                         f"{people[0].name}（{firm.name}从业人员）"))
    return rows[:3]


