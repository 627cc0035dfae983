"""The daily run of 网络学习: lessons evaluated yesterday (or earlier, if a run was missed)
become hour records — 「每次学习完……第二天可查询学时」 (seed 002 §6)."""
import datetime as dt

from app.workflows.core.jobs import job
from app.workflows.core.scoping import SystemActor
from app.workflows.learning.crediting import credit_due


@job("learning_credit", schedule="daily:01:30",
     description="网络学习：将前一日及以前已学完并评价、可计入的课程计入学时（每门课程只计一次）",
     labels={"credited": "已计入学时", "wait_required": "选修待必修完成",
             "wait_fee": "待缴费", "not_learner": "非会员不计入", "failed": "计入失败"})
def learning_credit(now: dt.datetime) -> dict:
    return credit_due(SystemActor("定时任务"), now)


__all__ = ["learning_credit"]
