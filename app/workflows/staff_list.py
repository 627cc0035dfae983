"""从业人员管理: the whole-list staff list import (seed 000 §3).

(Named staff_list, not "roster": training's class list and in-house training's 学员名单 are
rosters too. The domain keeps its name "roster" — app/domains.py, its view and permission
names — because stored permissions carry those names.)

The manual's rules, word for word: 「1. 从业人员用户名为“kj+手机号”; 2. 从业人员初始密码为手机号后六位;
3. 若从业人员手机号已经存在, 将保留原账号同时修改其他信息, 如姓名、所在执业机构等; 4. 每次必须导入全部从业人员名单,
不在名单中的将会被撤销。」

Rules shown to the user on the import page, enforced here:
1. the login name is ``kj`` + mobile; 2. the initial password is the mobile's last 6
digits; 3. a mobile already known keeps its account and has its other fields updated
(name, type, position…); one registered with another firm (or with the institute) is
转入待确认 — it moves to this firm only when the person or institute staff accept it
(app/workflows/transfers.py), so a firm can never take over another firm's account
by listing its mobile; 4. the file is the firm's
**whole** list: the firm's roster people missing from it are revoked (撤销: no sign-in,
data kept); a person listed again is restored. Revoking more than 20% of the firm's
active roster needs a second, explicit confirmation.

A person is on a firm's roster once a roster import listed them (`imported_at` set);
people entered otherwise (e.g. CPAs registered by the institute) are not revoked by it.
"""
import datetime as dt
import hashlib

from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role
from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.models import Account, Firm, Person, PersonStatus, PersonType
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows import accounts
from app.workflows.core import audit, bulk, standing
from app.workflows.core.errors import ForbiddenError, NotFoundError, ValidationError
from app.workflows.core.importing import Column, Problem
from app.workflows.core.importing import batches
from app.workflows.core.importing.kinds import ImportKind, Param, Plan
from app.workflows.core.scoping import account_of, is_institute, role_names
from app.workflows.hours import verdicts
from app.workflows.registry import transfers

KIND = "staff"
MASS_REVOKE_SHARE = 0.2
CHUNK = 500
TRANSFER_LABEL = "转入待确认"
# a clash with someone this firm may not see: say only that the value is taken
REGISTERED_ELSEWHERE = "{}已被登记，请核对；如确为本人，请联系协会处理"
TRACKED = ("name", "person_type", "id_number", "position")
FIELD_LABELS = {"name": "姓名", "person_type": "类型", "id_number": "身份证号", "position": "职位",
                "status": "状态"}


def _changed(changes: dict) -> str:
    """职位：审计员 → 项目经理；姓名：张三 → 张三丰 (what the preview shows of an update)."""
    words = {"status": PersonStatus.LABELS}  # a coded status shows its words
    return "；".join(
        f"{FIELD_LABELS.get(key, key)}：{words.get(key, {}).get(before, before) or '（空）'} → "
        f"{words.get(key, {}).get(after, after) or '（空）'}"
        for key, (before, after) in changes.items())

RULES = (
    "从业人员用户名为“kj+手机号”；",
    "从业人员初始密码为手机号后六位；",
    "若从业人员手机号已经存在，将保留原账号同时修改其他信息，如姓名、所在执业机构等；"
    "已登记在其他单位的人员显示为“转入待确认”，须本人登录确认或协会审核后才转入本所；",
    "每次必须导入全部从业人员名单，不在名单中的将会被撤销（撤销后不能登录，数据保留）。",
)


# --- who may import for which firm -------------------------------------------------------
def authorize(actor, firm: Firm) -> None:
    """Staff (the institute) import for any firm; a firm admin only for its own."""
    if is_institute(actor):
        return
    account = account_of(actor)
    if FIRM_ADMIN in role_names(actor) and account is not None and account.firm_id == firm.id:
        return
    raise ForbiddenError("只能导入本所的从业人员名单")


# --- preview ---------------------------------------------------------------------------
def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _load_people(firm_id: int, phones, id_numbers) -> dict[int, Person]:
    """Everyone the plan depends on: the firm's roster, and anyone holding a listed
    mobile or 身份证号 (wherever they work)."""
    people = {p.id: p for p in db.session.execute(
        select(Person).where(Person.firm_id == firm_id, Person.imported_at.is_not(None))
    ).scalars()}
    for column, values in ((Person.phone, phones), (Person.id_number, id_numbers)):
        for chunk in _chunks(values):
            for person in db.session.execute(select(Person).where(column.in_(chunk))).scalars():
                people[person.id] = person
    return people


def _fingerprint(firm_id: int, people: dict[int, Person], accounts_by_person: dict) -> str:
    digest = hashlib.sha256(str(firm_id).encode())
    for pid in sorted(people):
        p = people[pid]
        digest.update(repr((p.id, p.phone, p.name, p.firm_id, p.status, p.person_type,
                            p.id_number, p.position, p.cert_number,
                            accounts_by_person.get(p.id))).encode())
    return digest.hexdigest()


def _accounts_by_person(person_ids) -> dict[int, int]:
    found = {}
    for chunk in _chunks(person_ids):
        for person_id, user_id in db.session.execute(
                select(Account.person_id, Account.user_id).where(Account.person_id.in_(chunk))):
            found[person_id] = user_id
    return found


def _taken_logins(logins) -> set[str]:
    taken = set()
    for chunk in _chunks(logins):
        taken.update(db.session.execute(select(User.username).where(User.username.in_(chunk)))
                     .scalars())
    return taken


def _plan(firm: Firm, parsed) -> tuple[dict, dict, str]:
    valid = parsed.valid_rows
    phones = [r.values["phone"] for r in valid]
    id_numbers = [r.values["id_number"] for r in valid if r.values.get("id_number")]
    people = _load_people(firm.id, phones, id_numbers)
    by_phone = {p.phone: p for p in people.values() if p.phone}
    by_id_number = {p.id_number: p for p in people.values() if p.id_number}
    with_account = _accounts_by_person(people)
    new_logins = [accounts.staff_login(r.values["phone"]) for r in valid
                  if r.values["phone"] not in by_phone]
    taken = _taken_logins(new_logins)

    creates, updates, moves, listed = [], [], [], set()
    unchanged = restored = 0
    for row in valid:
        values = row.values
        if values.get("status") == PersonStatus.REVOKED:
            continue  # exported as 撤销: not on the firm's list, so it stays (or becomes) revoked
        person = by_phone.get(values["phone"])
        owner = by_id_number.get(values.get("id_number")) if values.get("id_number") else None
        if owner is not None and (person is None or owner.id != person.id):
            # never name (or confirm) a person of another firm
            message = (f"身份证号已登记在本所“{owner.name}”名下（另一个手机号）"
                       if owner.firm_id == firm.id else REGISTERED_ELSEWHERE.format("身份证号"))
            row.problems.append(Problem(row.number, "身份证号", message))
            continue
        if person is not None and person.firm_id != firm.id:
            # 转入待确认: listed by this firm, registered elsewhere; moved only with consent
            moves.append({"row": row.number, "id": person.id, "typed_name": values["name"],
                              "position": values.get("position"),
                              "person_type": values["person_type"]})
            continue
        if values["person_type"] == PersonType.CPA and (person is None or not person.cert_number):
            row.problems.append(Problem(
                row.number, "类型", "注册会计师须有证书编号：请先在人员信息中登记，或填写其他类型"))
            continue
        if person is None:
            if accounts.staff_login(values["phone"]) in taken:
                row.problems.append(Problem(row.number, "手机号",
                                            REGISTERED_ELSEWHERE.format("手机号")))
                continue
            creates.append({"row": row.number, **values})
            continue
        listed.add(person.id)
        after = {key: values.get(key) for key in TRACKED}
        if not after["id_number"]:
            after["id_number"] = person.id_number  # an empty cell keeps what is known
        changes = {key: [getattr(person, key), after[key]] for key in TRACKED
                   if getattr(person, key) != after[key]}
        if not standing.active(person):  # listed again: 恢复
            changes["status"] = [person.status, PersonStatus.ACTIVE]
            restored += 1
        needs_account = person.id not in with_account
        if changes or needs_account:
            updates.append({"row": row.number, "id": person.id, "after": after,
                            "changes": changes, "create_account": needs_account,
                            "phone": person.phone, "name": after["name"]})
        else:
            unchanged += 1
    roster = [p for p in people.values()
              if p.firm_id == firm.id and p.imported_at is not None]
    active_roster = [p for p in roster if standing.active(p)]
    revoked_people = sorted((p for p in active_roster if p.id not in listed),
                            key=lambda p: (p.name or "", p.id))
    revokes = sorted(p.id for p in revoked_people)
    # the people behind each count (this firm's own people only; a 转入待确认 row shows
    # only what this firm typed)
    listing = [{"category": "新增", "row": c["row"], "name": c["name"],
                "detail": f"手机号 {c['phone']}，登录名 {accounts.staff_login(c['phone'])}"}
               for c in creates]
    for u in updates:
        restoring = "status" in u["changes"]
        listing.append({"category": "恢复" if restoring else "更新", "row": u["row"],
                        "name": u["name"],
                        "detail": _changed(u["changes"]) or "补建登录账号"})
    listing.sort(key=lambda item: (("新增", "更新", "恢复").index(item["category"]), item["row"]))
    listing += [{"category": "撤销", "row": None, "name": p.name,
                 "detail": f"手机号 {p.phone}，不在本次名单中，撤销后不能登录"}
                for p in revoked_people]
    listing += [{"category": TRANSFER_LABEL, "row": m["row"], "name": m["typed_name"],
                 "detail": "已登记在其他单位（或由协会代管），须本人确认或协会审核"} for m in moves]
    plan = {
        "firm_id": firm.id,
        "phones": phones,
        "id_numbers": id_numbers,
        "create": creates,
        "update": updates,
        "revoke": revokes,
        "listed": sorted(listed),
        "transfer": moves,
    }
    counts = {
        "新增": len(creates),
        "更新": len(updates) - restored,
        "恢复": restored,
        "撤销": len(revokes),
        "不变": unchanged,
        TRANSFER_LABEL: len(moves),
    }
    share = len(revokes) / len(active_roster) if active_roster else 0.0
    return plan, {"counts": counts, "revoke_share": share, "listing": listing,
                  "active_roster": len(active_roster)}, _fingerprint(firm.id, people, with_account)


def _member_role_id() -> int:
    return db.session.execute(select(Role.id).where(Role.name == MEMBER)).scalar_one()


def _create_accounts(people: list[dict], firm_id: int, now: dt.datetime, role_id: int) -> None:
    """Bulk accounts with no password hash: the initial password is derived (mobile6)."""
    if not people:
        return
    stamp = now.replace(tzinfo=None)
    # the driver's executemany + one keyed SELECT: the ORM's bulk INSERT … RETURNING
    # splices its batches quadratically (14 s for 20,000 rows)
    bulk.insert_rows(User.__table__, [{
        "first_name": p["name"][:64], "last_name": "",
        "username": accounts.staff_login(p["phone"]),
        "email": f"kj{p['phone']}@accounts.invalid", "active": True, "password": None,
        "created_on": stamp, "changed_on": stamp, "created_by_fk": None, "changed_by_fk": None,
    } for p in people])
    logins = {accounts.staff_login(p["phone"]) for p in people}
    # the rows just written carry this commit's stamp: one query, not chunked IN lists
    user_ids = {name: uid for uid, name in db.session.execute(
        select(User.id, User.username).where(User.created_on == stamp)) if name in logins}
    bulk.insert_rows(Account.__table__, [{
        "user_id": user_ids[accounts.staff_login(p["phone"])], "firm_id": firm_id,
        "person_id": p["id"], "must_change_password": True,
        "initial_rule": accounts.MOBILE_RULE,
    } for p in people])
    bulk.insert_rows(assoc_user_role, [
        {"user_id": uid, "role_id": role_id} for uid in user_ids.values()])


def _apply(plan: dict, firm: Firm, now: dt.datetime, actor=None) -> dict:
    role_id = _member_role_id()
    audit_rows = []
    created = []
    if plan["create"]:
        bulk.insert_rows(Person.__table__, [{
            "person_type": c["person_type"], "name": c["name"], "phone": c["phone"],
            "id_number": c.get("id_number"), "position": c.get("position"),
            "firm_id": firm.id, "status": PersonStatus.ACTIVE,
            "imported_at": now, "created_at": now,
        } for c in plan["create"]])
        ids = {phone: pid for pid, phone in db.session.execute(
            select(Person.id, Person.phone).where(Person.firm_id == firm.id,
                                                  Person.created_at == now))}
        created = [{"id": ids[c["phone"]], "phone": c["phone"], "name": c["name"]}
                   for c in plan["create"]]
        audit_rows += [{"entity": "person", "entity_id": ids[c["phone"]], "action": "create",
                        "to_state": PersonStatus.ACTIVE,
                        "changes": {k: [None, c.get(k)] for k in ("name", "phone", "id_number",
                                                                    "person_type", "position")}}
                       for c in plan["create"]]
    if plan["update"]:
        db.session.execute(
            update(Person.__table__).where(Person.__table__.c.id == bindparam("pid")).values(
                name=bindparam("v_name"), person_type=bindparam("v_type"),
                id_number=bindparam("v_id"), position=bindparam("v_position"),
                firm_id=firm.id, status=PersonStatus.ACTIVE),
            [{"pid": u["id"], "v_name": u["after"]["name"], "v_type": u["after"]["person_type"],
              "v_id": u["after"]["id_number"], "v_position": u["after"]["position"]}
             for u in plan["update"]])
        # a bulk UPDATE: no flush sees a type change, the kept yearly verdicts follow here
        verdicts.refresh_persons(db.session, [u["id"] for u in plan["update"]
                                              if "person_type" in u["changes"]])
        moved = [u["id"] for u in plan["update"]]
        for chunk in _chunks(moved):
            db.session.execute(update(Account).where(Account.person_id.in_(chunk))
                               .values(firm_id=firm.id))
            user_ids = select(Account.user_id).where(Account.person_id.in_(chunk))
            db.session.execute(update(User).where(User.id.in_(user_ids)).values(active=True))
        audit_rows += [{"entity": "person", "entity_id": u["id"], "action": "update",
                        "from_state": u["changes"].get("status", [None])[0],
                        "to_state": u["changes"].get("status", [None, None])[1],
                        "changes": u["changes"]} for u in plan["update"] if u["changes"]]
    needing_account = created + [{"id": u["id"], "phone": u["phone"], "name": u["name"]}
                                 for u in plan["update"] if u["create_account"]]
    _create_accounts(needing_account, firm.id, now, role_id)
    for chunk in _chunks(plan["revoke"]):
        db.session.execute(update(Person).where(Person.id.in_(chunk))
                           .values(status=PersonStatus.REVOKED))
        user_ids = select(Account.user_id).where(Account.person_id.in_(chunk))
        db.session.execute(update(User).where(User.id.in_(user_ids)).values(active=False))
    audit_rows += [{"entity": "person", "entity_id": pid, "action": "update",
                    "from_state": PersonStatus.ACTIVE, "to_state": PersonStatus.REVOKED,
                    "changes": {"status": [PersonStatus.ACTIVE, PersonStatus.REVOKED]}}
                   for pid in plan["revoke"]]
    for chunk in _chunks(plan["listed"]):  # created rows got imported_at on insert
        db.session.execute(update(Person).where(Person.id.in_(chunk)).values(imported_at=now))
    audit.record_many(audit_rows, db.session, now)
    pending = transfers.request_many(actor, now, firm, plan.get("transfer", []))
    return {"imported": len(plan["create"]) + len(plan["update"]),
            "accounts_created": len(needing_account), "transfers_requested": pending}


def firm_by_code(code: str) -> Firm:
    firm = db.session.execute(select(Firm).where(Firm.code == code)).scalar_one_or_none()
    if firm is None:
        raise NotFoundError(f"事务所编号“{code}”不存在")
    return firm


def staff_list_filter():
    """The people 从业人员管理 lists: those a roster import has listed."""
    return Person.imported_at.is_not(None)


def _firm_choices(actor):
    return [(f.code, f"{f.code} {f.name}") for f in
            db.session.scalars(select(Firm).order_by(Firm.code))]


class StaffListImport(ImportKind):
    """从业人员名单: the firm's whole list (seed 000 §3)."""

    name = KIND
    cli_name = "staff"
    title = "从业人员名单"
    sheet_title = "从业人员"
    columns = (
        Column("姓名", "name", required=True, max_length=64),
        Column("手机号", "phone", required=True, kind="mobile"),
        Column("身份证号", "id_number", kind="id_number"),
        Column("类型", "person_type", kind="choice", choices=PersonType.ALL,
               default=PersonType.OTHER),
        Column("职位", "position", max_length=32),
    )
    # 从业人员管理's export writes these after the template's columns (read-only: 登录名 and
    # 导入时间 are the system's); 状态 is read so that an exported list imports back unchanged —
    # a 撤销 row stays revoked instead of being restored (issue 23 item 6)
    extras = (Column("状态", "status", kind="choice", choices=PersonStatus.LABELS),)
    export_extras = ("login_name", "status", "imported_at", "firm")
    unique_keys = ("phone", "id_number")
    example = ("张三", "13800138000", "11010519491231002X", "其他从业人员", "审计员")
    rules = RULES
    params = (Param("firm", "事务所", choices=_firm_choices, institute_only=True,
                    help="协会工作人员选择为哪家事务所导入；事务所管理员导入本所名单"),)
    done_endpoint = "StaffRosterView.list"

    def authorize(self, actor) -> None:
        if not (is_institute(actor) or FIRM_ADMIN in role_names(actor)):
            raise ForbiddenError("只有事务所管理员或协会工作人员可以导入名单")

    def context(self, actor, params: dict) -> dict:
        """Staff choose the firm; a firm admin always imports for its own."""
        if is_institute(actor):
            code = (params.get("firm") or "").strip()
            if not code:
                raise ValidationError("请选择事务所", "firm")
            firm = firm_by_code(code)
        else:
            account = account_of(actor)
            if account is None or account.firm is None:
                raise ForbiddenError("只有事务所管理员或协会工作人员可以导入名单")
            firm = account.firm
            named = (params.get("firm") or "").strip()
            if named and named != firm.code:
                raise ForbiddenError("只能导入本所的从业人员名单")
        authorize(actor, firm)
        return {"firm_id": firm.id, "firm_code": firm.code}

    def plan(self, ctx, parsed, actor, now) -> Plan:
        firm = db.session.get(Firm, ctx["firm_id"])
        data, totals, fingerprint = _plan(firm, parsed)
        counts = totals["counts"]
        notes = []
        if data["transfer"]:
            rows = "、".join(str(t["row"]) for t in data["transfer"])
            notes.append(f"第 {rows} 行的人员已登记在其他单位（或由协会代管）：正式导入后将通知其本人，"
                         f"本人登录确认或协会审核通过后才转入本所，在此之前不会列入本所名单。")
        share = totals["revoke_share"]
        confirmation = None
        if share > MASS_REVOKE_SHARE:
            confirmation = (f"本次导入将撤销{counts['撤销']}人，占本所在册从业人员的"
                            f"{share * 100:.0f}%（超过20%），请勾选再次确认后提交")
        return Plan(
            data=data, counts=counts, fingerprint=fingerprint, notes=notes,
            confirmation=confirmation, confirmation_category="撤销",
            listing=totals["listing"],
            totals={"created": counts["新增"], "updated": counts["更新"],
                    "restored": counts["恢复"], "revoked": counts["撤销"],
                    "unchanged": counts["不变"], "transfer_pending": counts[TRANSFER_LABEL]},
            # which rows wait for the person's consent: row numbers only, nothing of the person
            extra={"firm": firm.code, "revoke_share": round(share, 4),
                   "transfer_rows": [t["row"] for t in data["transfer"]]})

    def fingerprint(self, ctx, data) -> str:
        people = _load_people(ctx["firm_id"], data["phones"], data["id_numbers"])
        return _fingerprint(ctx["firm_id"], people, _accounts_by_person(people))

    def apply(self, ctx, data, actor, now, options) -> dict:
        firm = db.session.get(Firm, ctx["firm_id"])
        return _apply(data, firm, now, actor)

    def done_message(self, result) -> str:
        counts = result["counts"]
        return "正式导入完成：新增{新增}人，更新{更新}人，恢复{恢复}人，撤销{撤销}人，不变{不变}人".format(
            **counts) + (f"，转入待确认{counts[TRANSFER_LABEL]}人" if counts[TRANSFER_LABEL] else "")


IMPORTER = StaffListImport()  # an import kind: DOMAIN.import_kinds lists it


# --- the kind on the generic batch, as the demo, the bench and the tests call it ----------

def preview(actor, now: dt.datetime, firm: Firm, filename: str, data: bytes):
    """Preview a whole-list file for `firm` (in this request); change nothing else."""
    return batches.upload(actor, now, KIND, filename, data, {"firm": firm.code},
                          background=False)


def commit(actor, now: dt.datetime, token: str, *, confirm_mass_revoke: bool = False) -> dict:
    """正式导入 of a staff preview: exactly its plan, once, in one transaction."""
    return batches.commit(actor, now, token, confirm=confirm_mass_revoke, kind_name=KIND)


def find_batch(actor, token: str):
    return batches.find(actor, token, KIND)


summary_of = batches.summary_of
