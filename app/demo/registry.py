"""Demo data of the registry: 10 firms, ~300 persons, one account of each role.

Deterministic (fixed seed) so that README and screenshots match what users see.
Goes through the same workflows as the UI: creating a firm creates its admin.
"""
import datetime as dt
import random

from app.extensions import db
from app.models import Firm, FirmStatus, Person, PersonStatus, PersonType
from app.roles import ADMIN, MEMBER, STAFF
from app.workflows import accounts, registry
from app.workflows.core import standing
from app.workflows.core.identifiers import id_check_char


def member_row(person, password) -> tuple[str, str, str, str]:
    """A demo member as the printout shows it: the identifier its kind types as 用户名
    (CPA: 证书编号; 非执业会员: 会员证书编号; 其他从业人员: kj+手机号), labelled with its kind."""
    where = person.firm.name if person.firm is not None else "协会代管"
    return ("Member", accounts.login_identifier(person), password,
            f"{person.person_type}（用户名为{accounts.LOGIN_IDENTIFIER[person.person_type]}）"
            f"{person.name}，{where}")


FIRM_NAMES = [
    "北京华信会计师事务所（特殊普通合伙）",
    "北京中天恒会计师事务所有限责任公司",
    "北京兴华正信会计师事务所（普通合伙）",
    "北京永拓同心会计师事务所有限公司",
    "北京京都天华会计师事务所（特殊普通合伙）",
    "北京德润会计师事务所有限责任公司",
    "北京致远中和会计师事务所（普通合伙）",
    "北京立信华盛会计师事务所有限公司",
    "北京中瑞诚会计师事务所（特殊普通合伙）",
    "北京明德信会计师事务所有限责任公司",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华建国志红晓文婷玉兰海燕雪梅俊宇浩然子涵欣怡思远嘉"
POSITIONS_CPA = ["合伙人", "项目经理", "审计员", "高级经理"]
POSITIONS_OTHER = ["审计员", "助理", "项目经理", "行政"]
ETHNICITIES = ["汉族"] * 9 + ["回族", "满族", "蒙古族"]
AREA_CODES = ["110101", "110102", "110105", "110106", "110108", "120101", "130102", "370102"]

DEMO_PASSWORDS = {"admin": "Admin2026pass", "staff": "Staff2026pass"}


def make_id_number(rng: random.Random, birth: dt.date, male: bool) -> str:
    seq = rng.randrange(0, 100) * 10 + (rng.choice([1, 3, 5, 7, 9]) if male else rng.choice([0, 2, 4, 6, 8]))
    first17 = f"{rng.choice(AREA_CODES)}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def _person(rng, used_phones, person_type, firm, serial, now):
    male = rng.random() < 0.5
    birth = dt.date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28))
    while True:
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        if phone not in used_phones:
            used_phones.add(phone)
            break
    cert = None
    if person_type == PersonType.CPA:
        cert = f"{firm.code if firm else '11000000'}{serial:04d}"
    elif person_type == PersonType.NON_PRACTICING:
        cert = f"2100{rng.randrange(10**8):08d}"
    person = Person(
        person_type=person_type,
        name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2]))),
        gender="男" if male else "女",
        id_number=make_id_number(rng, birth, male),
        phone=phone,
        birth_date=birth,
        ethnicity=rng.choice(ETHNICITIES),
        position=rng.choice(POSITIONS_CPA if person_type == PersonType.CPA else POSITIONS_OTHER),
        cert_number=cert,
        firm=firm,
        status=PersonStatus.ACTIVE if rng.random() > 0.05 else PersonStatus.REVOKED,
        created_at=now,
    )
    return person


def seed(now: dt.datetime, persons_per_firm: int = 29) -> list[tuple[str, str, str, str]]:
    """Admin and staff, 10 firms (each with its admin P+code), ~300 persons, one CPA member
    account per firm; returns (role, login, password, note) rows."""
    rng = random.Random(2026)
    created = []
    accounts.create_account(username="admin", display_name="系统管理员", role_name=ADMIN,
                            password=DEMO_PASSWORDS["admin"], now=now,
                            must_change_password=False)
    accounts.create_account(username="staff", display_name="协会工作人员", role_name=STAFF,
                            password=DEMO_PASSWORDS["staff"], now=now,
                            must_change_password=False)
    created += [("Admin", "admin", DEMO_PASSWORDS["admin"], "系统管理员"),
                ("Staff", "staff", DEMO_PASSWORDS["staff"], "协会工作人员")]
    firms = []
    for index, name in enumerate(FIRM_NAMES):
        firm = Firm(code=f"1101{index + 1:04d}", name=name, status=FirmStatus.ACTIVE, created_at=now)
        registry.clean_firm(firm, creating=True)
        registry.on_firm_created(firm, now)
        db.session.add(firm)
        firms.append(firm)
        created.append(("FirmAdmin", firm.admin_username,
                        accounts.firm_admin_initial_password(firm.code), name))
    used_phones: set[str] = set()
    members: dict[str, Person] = {}  # one CPA per firm gets a member account
    for firm in firms:
        for serial in range(persons_per_firm):
            roll = rng.random()
            person_type = (PersonType.CPA if roll < 0.45 else
                           PersonType.NON_PRACTICING if roll < 0.6 else PersonType.OTHER)
            person = _person(rng, used_phones, person_type, firm, serial + 1, now)
            db.session.add(person)
            if person_type == PersonType.CPA and standing.active(person):
                members.setdefault(firm.code, person)
    for serial in range(10):  # 协会代管 CPAs: no firm
        db.session.add(_person(rng, used_phones, PersonType.CPA, None, 9000 + serial, now))
    db.session.flush()
    # one member account per firm: login is the certificate number (DESIGN §6)
    for person in members.values():
        password = person.id_number[-6:]
        accounts.create_account(username=person.cert_number, display_name=person.name,
                                role_name=MEMBER, password=password, now=now,
                                firm=person.firm, person=person)
        created.append(member_row(person, password))
    db.session.flush()
    return created


def existing_accounts() -> list[tuple[str, str, str, str]]:
    """The demo accounts of an already seeded database, for the start-up banner.

    An initial password is shown only while it is still in force.
    """
    from flask_appbuilder.security.sqla.models import User

    from app.models import Account

    rows = []
    users = db.session.query(User).order_by(User.id).limit(25).all()
    for user in users:
        role = user.roles[0].name if user.roles else ""
        account = db.session.get(Account, user.id)
        if user.username in DEMO_PASSWORDS:
            password = DEMO_PASSWORDS[user.username]
        elif account is None or not account.must_change_password:
            password = "（已修改）"
        elif account.initial_rule:
            password = accounts.derived_initial_password(account) or ""
        elif account.person is not None:
            password = account.person.id_number[-6:]
        else:
            password = account.firm.code[-6:] if account.firm else ""
        person = account.person if account is not None else None
        if person is not None:
            rows.append((role,) + member_row(person, password)[1:])
        else:
            rows.append((role, user.username, password, user.first_name))
    return rows
