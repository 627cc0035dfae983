"""Row scope declarations: every model says whose rows it holds (app/workflows/core/scoping.py
turns the declaration into the SQL condition and the one-row check).

    __scope__ = Scope(firm="firm_id")                        # a firm's rows
    __scope__ = Scope(firm="inhouse_class.firm_id")          # through a relationship
    __scope__ = Scope(firm="firm_id", person="person_id")    # a firm's, and a member's own
    __scope__ = Scope(user="user_id", institute=False)       # each user its own, staff too
    __scope__ = Scope.institute_only()                       # Admin and Staff only
    __scope__ = Scope.public_read()                          # every signed-in user reads all
    __scope__ = Scope(person="person_id", provider="institute_id")  # + the learner's institute

A path is attribute names joined by dots: relationships, then a column. A model without a
declaration stops the app at start-up (check_declarations names it).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    firm: str | None = None  # path to the id of the firm a row belongs to (FirmAdmin)
    person: str | None = None  # path to the id of the person a row is about (Member)
    user: str | None = None  # path to the id of the account that owns the row (any role)
    # path to the id of the accounting institute (网络学习) whose LMS account reaches the row
    provider: str | None = None
    institute: bool = True  # Admin and Staff see every row
    public: bool = False  # every signed-in user sees every row

    @classmethod
    def institute_only(cls) -> "Scope":
        return cls()

    @classmethod
    def public_read(cls) -> "Scope":
        return cls(public=True)

    def paths(self) -> dict[str, str]:
        return {k: v for k, v in (("firm", self.firm), ("person", self.person),
                                  ("user", self.user), ("provider", self.provider)) if v}
