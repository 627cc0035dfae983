"""事务所内部培训 workflows: rules (qualification, classes, roster entries), review (内部培训审核,
many at once), importing (学员名单 bulk / special, 批量建班), reports (年终总结报告 and the reminders),
cicpa (上报中注协 workbook)."""
from app.workflows.inhouse import rules  # noqa: F401
from app.workflows.inhouse import importing, reports, cicpa  # noqa: F401,E402
