"""所需材料 against the manual (seed 004 §3.1–§3.7, issue 24 item 3): each business type with
the answers its screen shows asks for exactly the manual's list (quoted); 关系转移 per type
(§3.3: 京内转所 — 转入事务所 / 转入协会代管; 跨省 — 外省转入本市事务所 / 外省转入本市协会代管 /
本市转外省事务所/协会代管); the migration rewrites a populated table."""
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from app.extensions import db
from app.workflows.core.errors import ValidationError
from app.workflows.registration import cases, requirements
from app.workflows.registration import types as TY
from tests.registration.common import NOW, pdf, setup_tables

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _labels(case_type, answers, required=None):
    return [row.label for row in requirements.documents_for(case_type, answers)
            if required is None or row.required == required]


@pytest.fixture
def table(ctx):
    setup_tables(ctx)
    return ctx


@pytest.fixture
def actors(ctx, world):
    from tests.registration.common import user
    setup_tables(ctx)
    return (user(ctx, world.a.admin), user(ctx, world.b.admin), user(ctx, world.staff))


# §3.1 注册申请业务办理 (是否退休: 否): “* 注册会计师注册申请表 … * 全科合格证（或考核通过文件）扫描件
# … * 与现所在会计师事务所签订的在有效期内的劳动合同扫描件 … * 有效身份证正反面扫描件 … * 在会计师事务所累计
# 两年的社保记录 … * 注册前一月在本事务所的参保记录或劳动备案统一登记表 … * 存档证明”
REGISTER_WORKING = ["注册会计师注册申请表", "全科合格证（或考核通过文件）扫描件",
                    "与现所在会计师事务所签订的在有效期内的劳动合同扫描件", "有效身份证正反面扫描件",
                    "在会计师事务所累计两年的社保记录",
                    "注册前一月在本事务所的参保记录或劳动备案统一登记表", "存档证明"]
# §3.2 注销（撤销）: “* 注册会计师注销注册申请表 … * 注册会计师证书扫描件 … * 委托人及受托人身份证扫描件
# … 其他补充材料” (the last without *)
CANCEL = ["注册会计师注销注册申请表", "注册会计师证书扫描件", "委托人及受托人身份证扫描件", "其他补充材料"]
# §3.3 关系转移业务办理 (非退休, 京内转所 → 转入事务所): “* 转所表 … * 注册会计师证书扫描件 … * 年检二维码
# … * 与转入所签订的在有效期内的劳动合同扫描件 … * 社保权益记录 … * 存档证明”
TRANSFER_TO_FIRM = ["转所表", "注册会计师证书扫描件", "年检二维码",
                    "与转入所签订的在有效期内的劳动合同扫描件", "社保权益记录", "存档证明"]
# §3.4 变更业务办理: “* 全科合格证扫描件 … * 注册会计师证书扫描件”
CHANGE = ["全科合格证扫描件", "注册会计师证书扫描件"]
# §3.5 其他变更业务办理: “* 注册会计师相关事项申请表 … * 有效身份证正反面扫描件”
OTHER_CHANGE = ["注册会计师相关事项申请表", "有效身份证正反面扫描件"]
# §3.6 信息补录业务办理: “* 补录申请 (包含本人基本信息及补录原因) … * 全科合格证扫描件 … * 有效身份证正反面
# 扫描件 … 注册会计师证书扫描件” (the last without *)
SUPPLEMENT = ["补录申请（包含本人基本信息及补录原因）", "全科合格证扫描件", "有效身份证正反面扫描件",
              "注册会计师证书扫描件"]
# §3.7 补办业务办理: “* 补办申请 下载模板 … * 登报挂失声明”
REISSUE = ["补办申请", "登报挂失声明"]


def test_each_type_with_the_manuals_answers_asks_for_the_manuals_list(table):
    assert _labels(TY.REGISTER, {"retired": "否"}) == REGISTER_WORKING
    assert _labels(TY.REGISTER, {"retired": "否"}, required=True) == REGISTER_WORKING
    assert _labels(TY.CANCEL, {}) == CANCEL
    assert _labels(TY.CANCEL, {}, required=False) == ["其他补充材料"]
    assert _labels(TY.TRANSFER, {"retired": "非退休", "transfer_type": "京内转所"}) == \
        TRANSFER_TO_FIRM
    for items in ([], ["通过方式"], ["注册日期", "考核文号"]):
        assert _labels(TY.CHANGE, {"items": items}) == CHANGE
    assert _labels(TY.OTHER_CHANGE, {"items": ["统一监管平台绑定手机号"]}) == OTHER_CHANGE
    assert _labels(TY.SUPPLEMENT, {}) == SUPPLEMENT
    assert _labels(TY.SUPPLEMENT, {}, required=False) == ["注册会计师证书扫描件"]
    assert _labels(TY.REISSUE, {}) == REISSUE
    templates = {row.label for row in requirements.rows_of(TY.REISSUE) if row.has_template}
    assert templates == {"补办申请"}  # “* 补办申请 [下载模板]”


def test_retired_and_certificate_changes_follow_the_answers(table):
    # a retired CPA has no labour contract, 社保 or 存档: the 聘用协议 and the 退休证明 instead
    assert _labels(TY.REGISTER, {"retired": "是"}) == [
        "注册会计师注册申请表", "全科合格证（或考核通过文件）扫描件",
        "与现所在会计师事务所签订的在有效期内的聘用协议扫描件", "退休证或退休证明扫描件",
        "有效身份证正反面扫描件"]
    # a certificate's ID number, name, or 将军官证→身份证 change shows the new identity
    for item in ("身份证号 (证书信息)", "将军官证等证件变更为身份证 (证书信息)"):
        assert _labels(TY.CHANGE, {"items": [item]}) == CHANGE + ["有效身份证正反面扫描件"]
    assert _labels(TY.CHANGE, {"items": ["姓名 (证书信息)"]}) == CHANGE + ["公安机关出具的姓名变更证明"]


BASE = ["转所表", "注册会计师证书扫描件", "年检二维码"]
LEAVING = "与转出所解除劳动合同（聘用协议）的证明"


@pytest.mark.parametrize("transfer_type, retired, expected", [
    ("京内转所", "非退休", TRANSFER_TO_FIRM),
    ("京内转所", "退休", BASE + ["与转入所签订的在有效期内的聘用协议扫描件"]),
    ("转入协会代管", "非退休", BASE + [LEAVING]),
    ("转入协会代管", "退休", BASE + [LEAVING]),
    ("外省转入本市事务所", "非退休", TRANSFER_TO_FIRM),
    ("外省转入本市事务所", "退休", BASE + ["与转入所签订的在有效期内的聘用协议扫描件"]),
    ("外省转入本市协会代管", "非退休", BASE + [LEAVING]),
    ("本市转外省事务所/协会代管", "非退休", BASE),
    ("本市转外省事务所/协会代管", "退休", BASE),
])
def test_transfer_asks_per_type(table, transfer_type, retired, expected):
    assert transfer_type in TY.TRANSFER_TYPES
    assert _labels(TY.TRANSFER, {"retired": retired, "transfer_type": transfer_type}) == expected


def test_a_file_for_a_row_the_answers_do_not_ask_for_is_refused_by_its_name(table, actors):
    a_admin = actors[0]
    data = {"name": "王转所", "cert_number": "110100010031", "mobile": "13700000031",
            "retired": "非退休", "transfer_type": "转入协会代管"}
    with pytest.raises(ValidationError) as refused:
        cases.save_case(a_admin, NOW, case_type=TY.TRANSFER, data=data, pledged_at=NOW,
                        uploads={"labor_contract": pdf()})
    message = refused.value.message
    assert "【与转入所签订的在有效期内的劳动合同扫描件】按所填写的情况不需要上传" in message
    assert "关系转移类型为“京内转所”" in message and "labor_contract" not in message
    assert refused.value.by_field == {"doc_labor_contract": message}
    assert refused.value.errors == [("doc_labor_contract", message)]
    with pytest.raises(ValidationError) as unknown:
        cases.save_case(a_admin, NOW, case_type=TY.TRANSFER, data=data, pledged_at=NOW,
                        uploads={"nonsense": pdf()})
    assert "nonsense" not in unknown.value.message
    case = cases.save_case(a_admin, NOW, case_type=TY.TRANSFER, data=data, pledged_at=NOW,
                           uploads={"leaving_proof": pdf()})
    assert [d.label for d in case.documents] == [LEAVING]


def test_the_migration_rewrites_a_populated_table_and_back(app, tmp_path):
    import flask_migrate

    from app import create_app
    from config import TestConfig

    class Config(TestConfig):
        INSTANCE_DIR = tmp_path
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'm.db'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    def rows():
        return db.session.execute(text(
            "select doc_key, condition from reg_doc_requirement where case_type = '关系转移' "
            "order by sort, id")).all()

    with create_app(Config).app_context():
        # the revision before this one, whatever other migrations land before it
        previous = ScriptDirectory(str(MIGRATIONS)).get_revision("a7d24e1f0c3b").down_revision
        flask_migrate.upgrade(revision=previous)
        before = rows()
        assert ("labor_contract", "retired=非退休") in before
        db.session.execute(text(  # a row staff added stays
            "insert into reg_doc_requirement (case_type, doc_key, label, required, condition, "
            "has_template, sort) values ('关系转移', 'photo', '近期照片', false, '', false, 99)"))
        db.session.commit()
        flask_migrate.upgrade(revision="a7d24e1f0c3b")
        after = rows()
        assert ("labor_contract", "retired=非退休") not in after
        assert ("labor_contract", "transfer_type=京内转所;retired=非退休") in after
        assert ("leaving_proof", "transfer_type=转入协会代管") in after
        assert ("photo", "") in after
        # the same as a fresh install of the defaults
        fresh = [(k, c) for t, k, _l, _r, c, _t in requirements.DEFAULTS if t == "关系转移"]
        assert [r for r in after if r[0] != "photo"] == fresh
        flask_migrate.downgrade(revision=previous)
        assert sorted(rows()) == sorted(before + [("photo", "")])
        db.session.remove()
        db.engine.dispose()
