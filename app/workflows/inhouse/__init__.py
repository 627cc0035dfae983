"""事务所内部培训 workflows, one module per section of the manual (as the views are split):
common (who acts, messages, form helpers) ← qualification (内培资格申请) ← classes (培训班) ←
roster (学员名单) ← review (内部培训审核, many at once); importing (学员名单 bulk / special,
批量建班), reports (年终总结报告 and the reminders) and cicpa (上报中注协 workbook) on top."""
from app.workflows.inhouse import common, qualification, classes, roster, review  # noqa: F401
from app.workflows.inhouse import importing, reports, cicpa  # noqa: F401,E402
