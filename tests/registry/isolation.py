"""Rows of the registry domain for the isolation matrix (tests/core/test_isolation.py):
for each actor, rows it must never reach and rows it must see."""
import datetime as dt

from app.models import TransferStatus
from app.extensions import db
from app.models import Firm, Person, PersonTransfer
from app.roles import FIRM_ADMIN, MEMBER

MOMENT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


def _transfer(person_id, from_firm, to_firm):
    row = db.session.query(PersonTransfer).filter_by(person_id=person_id).first()
    if row is None:
        row = PersonTransfer(person_id=person_id, from_firm_id=from_firm, to_firm_id=to_firm,
                             requested_at=MOMENT, expires_at=MOMENT + dt.timedelta(days=30),
                             status=TransferStatus.PENDING, position="转入职位")
        db.session.add(row)
        db.session.commit()
    return row


def rows(world, app):
    with app.app_context():
        names = {p.id: p.name for p in db.session.query(Person)}
        firms = {f.id: f.name for f in db.session.query(Firm)}
        # A asked for B's person: A must learn nothing of it (not even the name)
        foreign_transfer = _transfer(world.b_people[1], world.b.id, world.a.id)
        # B asked for A's member: the member sees its own request
        own_transfer = _transfer(world.a_people[0], world.a.id, world.b.id)
        pairs = {
            "b_person_transfer": (foreign_transfer.id, names[world.b_people[1]]),
            "member_transfer": (own_transfer.id, firms[world.b.id]),
        }
    b_people = [(pid, names[pid]) for pid in world.b_people]
    a_others = [(pid, names[pid]) for pid in world.a_people[1:]]
    return {
        Firm: {FIRM_ADMIN: {"foreign": [(world.b.id, world.b.name)],
                            "own": [(world.a.id, world.a.name)]},
               MEMBER: {"foreign": [(world.b.id, world.b.name), (world.a.id, world.a.name)],
                        "own": []}},
        Person: {FIRM_ADMIN: {"foreign": b_people,
                              "own": [(pid, names[pid]) for pid in world.a_people]},
                 MEMBER: {"foreign": b_people + a_others,
                          "own": [(world.a_people[0], names[world.a_people[0]])]}},
        PersonTransfer: {FIRM_ADMIN: {"foreign": [pairs["b_person_transfer"],
                                                  (pairs["member_transfer"][0], "转入职位")],
                                      "own": []},
                         MEMBER: {"foreign": [pairs["b_person_transfer"]],
                                  "own": [pairs["member_transfer"]]}},
    }
