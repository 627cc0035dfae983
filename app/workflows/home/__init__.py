"""Home pages (issue 26): what each role reads first after signing in.

`home_for(actor, now)` picks the role's page; each builder takes (actor, now) and returns a
plain dataclass the view renders as it is (no request, no HTML here):

- `firm.firm_home` — 待办 of a firm's admin, soonest deadline first, and its people's CPE;
- `member.member_home` — a member's own hours, learning, applications, classes, cases;
- `staff.staff_home` — every review queue, tomorrow's appointments, class fill, CPE progress;
- `admin.admin_home` — failed or missed jobs, undelivered mail/SMS, storage, locked accounts.

Every figure is read from the same queries and the same machines as the lists it links to
(scoped selects, `year_gap_select` for the verdict), aggregated in SQL.
"""
