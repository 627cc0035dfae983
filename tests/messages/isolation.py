"""Rows of the message centre for the isolation matrix: messages, threads, notices and a
real stored attachment (so a refused download is the scope's doing, not a missing file)."""
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Consultation, Message, Notice, StoredFile
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows import messages
from app.workflows.core.files import Upload
from tests.helpers import NOW

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _user(username):
    return db.session.query(User).filter_by(username=username).one()


def rows(world, app):
    with app.app_context():
        if not db.session.query(Message).filter_by(title="乙所管理员的消息").count():
            messages.notify([_user(world.b.admin)], "乙所管理员的消息", "", NOW)
            messages.notify([_user(world.a.admin)], "甲所管理员的消息", "", NOW)
            messages.notify([_user(world.member)], "甲所会员的消息", "", NOW)
            db.session.commit()
            messages.start_consultation(_user(world.b.admin), NOW, "其他", "乙所的咨询",
                                        [Upload.from_bytes("乙所附件.pdf", PDF)])
            messages.start_consultation(_user(world.a.admin), NOW, "其他", "甲所管理员的咨询",
                                        [Upload.from_bytes("甲所附件.pdf", PDF)])
            messages.start_consultation(_user(world.member), NOW, "其他", "甲所会员的私人咨询",
                                        [Upload.from_bytes("会员附件.pdf", PDF)])
            staff = _user(world.staff)
            messages.save_notice(staff, NOW, messages.NoticeInput(
                title="协会内部草稿通知", body="<p>草稿</p>", audience="全部事务所",
                publish_at=NOW.replace(year=2027)))
        found = {m.title: m.id for m in db.session.query(Message)}
        found.update({c.subject: c.id for c in db.session.query(Consultation)})
        found.update({f.original_name: f.id for f in db.session.query(StoredFile)})
        found.update({n.title: n.id for n in db.session.query(Notice)})
    rows_ = lambda *titles: [(found[t], t) for t in titles]  # noqa: E731
    return {
        Message: {FIRM_ADMIN: {"foreign": rows_("乙所管理员的消息", "甲所会员的消息"),
                               "own": rows_("甲所管理员的消息")},
                  MEMBER: {"foreign": rows_("乙所管理员的消息", "甲所管理员的消息"),
                           "own": rows_("甲所会员的消息")}},
        Consultation: {FIRM_ADMIN: {"foreign": rows_("乙所的咨询", "甲所会员的私人咨询"),
                                    "own": rows_("甲所管理员的咨询")},
                       MEMBER: {"foreign": rows_("乙所的咨询", "甲所管理员的咨询"),
                                "own": rows_("甲所会员的私人咨询")}},
        StoredFile: {FIRM_ADMIN: {"foreign": rows_("乙所附件.pdf", "会员附件.pdf"),
                                  "own": rows_("甲所附件.pdf")},
                     MEMBER: {"foreign": rows_("乙所附件.pdf", "甲所附件.pdf"),
                              "own": rows_("会员附件.pdf")}},
        Notice: {FIRM_ADMIN: {"foreign": rows_("协会内部草稿通知"), "own": []},
                 MEMBER: {"foreign": rows_("协会内部草稿通知"), "own": []}},
    }
