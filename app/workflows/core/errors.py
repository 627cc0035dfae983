"""Domain errors: small classes carrying a Chinese message for the user."""


class DomainError(Exception):
    """A rule refused the action; `message` says why, in Chinese."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

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
