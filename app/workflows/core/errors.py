"""Domain errors: small classes carrying a Chinese message for the user."""


class DomainError(Exception):
    """A rule refused the action; `message` says why, in Chinese."""

    status = 400

    def __init__(self, message: str, field: str | None = None, *, keep_changes: bool = False):
        super().__init__(message)
        self.message = message
        self.field = field
        # the refusal itself is recorded (e.g. a wrong one-time code counts as an attempt):
        # the command commits what was done before raising instead of rolling it back
        self.keep_changes = keep_changes

    def __str__(self) -> str:
        return self.message


class ValidationError(DomainError):
    """Submitted data breaks a rule; `field` names the field at fault."""

    status = 400


class ForbiddenError(DomainError):
    """The actor may not do this to this row."""

    status = 403


class NotFoundError(DomainError):
    """No such row, or not one the actor may see (never tell which)."""

    status = 404


class ConflictError(DomainError):
    """Someone else changed the row first (optimistic locking): nothing was saved."""

    status = 409
