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


class FieldErrors(ValidationError):
    """Several fields at fault at once: a form shows every mistake in one go.

    `errors` is [(field, message), …] in the order found; `message` joins them and `field`
    is the first one's, so a caller that knows only DomainError still shows something whole.
    """

    def __init__(self, errors):
        errors = [(field, message) for field, message in errors]
        super().__init__("；".join(message for _field, message in errors),
                         errors[0][0] if errors else None)
        self.errors = errors


class Problems:
    """Collect a command's field errors before it changes anything, then raise them all
    (as Superset's commands gather theirs in `validate()`):

        problems = Problems()
        with problems.field("hours"):
            hours = parse_hours(data.hours)          # raises ValidationError
        if not data.title:
            problems.add("title", "请填写标题")
        problems.raise_any()                         # FieldErrors with both, or nothing
    """

    def __init__(self):
        self.errors: list[tuple[str | None, str]] = []

    def add(self, field: str | None, message: str) -> None:
        self.errors.append((field, message))

    def field(self, field: str | None = None):
        """A block whose ValidationError is recorded (under `field` unless it names its own)
        instead of stopping the command; other errors pass through."""
        problems = self

        class _Catch:
            def __enter__(self):
                return problems

            def __exit__(self, kind, error, _tb):
                if error is None or not isinstance(error, ValidationError):
                    return False
                if isinstance(error, FieldErrors):
                    problems.errors.extend(error.errors)
                else:
                    problems.add(error.field or field, error.message)
                return True

        return _Catch()

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            field, message = self.errors[0]
            raise ValidationError(message, field)
        if self.errors:
            raise FieldErrors(self.errors)


class AlreadyDecided(ValidationError):
    """The row moved on since the user saw it (its version or state changed): someone else
    decided it first. A bulk decision reports it as such, not as a refusal."""


class ForbiddenError(DomainError):
    """The actor may not do this to this row."""

    status = 403


class NotFoundError(DomainError):
    """No such row, or not one the actor may see (never tell which)."""

    status = 404


class ConflictError(DomainError):
    """Someone else changed the row first (optimistic locking): nothing was saved."""

    status = 409


def error_body(error: DomainError) -> dict:
    """The one JSON body of a refusal: {message, field?, errors?} (the OpenAPI Error)."""
    body = {"message": error.message}
    if error.field:
        body["field"] = error.field
    errors = getattr(error, "errors", None)
    if errors:
        joined: dict[str, str] = {}
        for field, message in errors:
            key = field or "_form"
            joined[key] = f"{joined[key]}；{message}" if key in joined else message
        body["errors"] = joined
    return body
