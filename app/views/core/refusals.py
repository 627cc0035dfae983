"""One way a page answers a rule's refusal (a DomainError from a command).

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    @refusals(form="_edit_form")          # the form again, with what was typed, status 400
    def edit(self, pk): ...

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    @refusals(back=".show")               # back to the page the action was taken on
    def delete(self, pk): ...

Every message is flashed — a command that collected several field errors (FieldErrors)
shows each, so a form shows all its mistakes at once. `form` names a method of the view
that renders the form (it reads the submitted values from `request.form`, so nothing typed
is lost, and may mark the fields at fault from `refused_fields()`); it is called with the view's own arguments and answered with the error's status.
`back` is an endpoint taking the view's arguments, a callable returning the URL, or
"referrer" (the page of ours the action was posted from). A row
the user may not see stays a 404 page (NotFoundError is never flashed). Nothing of the
refused change is kept: the command rolled back, and nothing else here writes.
"""
import functools

from flask import abort, flash, g, make_response, redirect, url_for

from app.views.core.hardening import _back_url as back_url

from app.workflows.core.errors import DomainError, NotFoundError


def flash_error(error: DomainError) -> None:
    errors = getattr(error, "errors", None)
    if errors:
        for _field, message in errors:
            flash(message, "danger")
    else:
        flash(error.message, "danger")


def refused() -> DomainError | None:
    """The refusal a `form=` method is drawing the form again for (None otherwise): a form
    that marks its fields (has-error) reads their messages here."""
    return g.get("_refused")


def refused_fields() -> dict[str, list[str]]:
    """{field: [message, …]} of the refusal being drawn (empty when none)."""
    error = refused()
    if error is None:
        return {}
    found: dict[str, list[str]] = {}
    for field, message in getattr(error, "errors", None) or [(error.field, error.message)]:
        if field:
            found.setdefault(field, []).append(message)
    return found


def refusals(*, form: str | None = None, back=None):
    if (form is None) == (back is None):
        raise TypeError("refusals: give either form= or back=")

    def decorate(view):
        @functools.wraps(view)
        def wrapper(self, *args, **kwargs):
            try:
                return view(self, *args, **kwargs)
            except NotFoundError as error:
                abort(404, description=error.message)
            except DomainError as error:
                flash_error(error)
                if form is not None:
                    g._refused = error
                    response = make_response(getattr(self, form)(*args, **kwargs))
                    response.status_code = error.status
                    return response
                if callable(back):
                    return redirect(back(self, *args, **kwargs))
                if back == "referrer":
                    return redirect(back_url() or "/")
                return redirect(url_for(back, **kwargs))

        return wrapper

    return decorate
