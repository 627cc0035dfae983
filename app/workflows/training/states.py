"""The states of an enrollment on the one machine (the bottom of the training modules:
every other module reads what a state permits here, none is imported by it).

未审核 → 审核通过 / 审核未通过 (with the reason) are staff's decisions (review.py). What a
state permits besides: an enrollment 未审核 or 审核通过 holds a seat and is in the person's
calendar; one 审核通过 was mailed the class's invitation and may have its result recorded."""
from app.models import Enrollment, EnrollmentStatus, TrainingResult
from app.workflows.core.states import Guard, Machine, P, T, anyone, institute

PENDING, APPROVED, REJECTED = (EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED,
                               EnrollmentStatus.REJECTED)
no_result = Guard("尚未记录培训结果",
                  lambda item, actor, now: "已记录培训结果" if item.result != TrainingResult.NOT_YET
                  else None)

MACHINE = Machine("training_enrollment", Enrollment, [
    T("approve", PENDING, APPROVED, "审核通过", who=institute),
    T("reject", (PENDING, APPROVED), REJECTED, "审核未通过", who=institute, remark=True,
      guards=[no_result]),
], permits=[
    # counted against the capacity, and an active event in the person's calendar
    P("hold_seat", (PENDING, APPROVED), "占用名额", who=anyone),
    # the approval mailed the class into the calendar: a refusal after it cancels it
    P("invited", APPROVED, "日历邀请", who=anyone),
    P("record_result", APPROVED, "记录培训结果", who=institute),
], labels=EnrollmentStatus.LABELS)
