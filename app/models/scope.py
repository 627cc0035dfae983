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


@dataclass(frozen=True)
class Actors:
    """Who acts for a model's rows — files, edits, withdraws, accepts — where `__scope__`
    says who sees them (app/workflows/core/acting.py answers it):

        __actors__ = Actors(firm="firm_id")                       # the firm's admin account
        __actors__ = Actors(person="person_id")                   # the person itself
        __actors__ = Actors(firm="firm_id", person="person_id",   # the firm files; a person
                            person_when_firmless=True)            #   without a firm files itself
        __actors__ = Actors(firm="firm_id", person="person_id")   # either of them
        __actors__ = Actors(firm="firm_id", person="person_id",   # a person's own row is its
                            firm_when_personless=True)            #   own; the firm acts for
                                                                  #   the rows of no person

    Staff act on institute decisions through the machine's transitions (`institute` Who),
    not as a row's actor, unless `institute=True`.
    """

    firm: str | None = None  # path to the id of the firm whose admin account acts
    person: str | None = None  # path to the id of the person who acts for itself
    # the person acts only where the row has no firm (a 协会代管 CPA files its own case; a
    # firm's CPA sees a case about itself but its firm files it)
    person_when_firmless: bool = False
    # the firm acts only where the row names no person (a member's own 候补 names its firm
    # too, but only the member answers the offer; the firm answers the firm's own entries)
    firm_when_personless: bool = False
    institute: bool = False  # Admin and Staff act for every row too

    def paths(self) -> dict[str, str]:
        return {k: v for k, v in (("firm", self.firm), ("person", self.person)) if v}
