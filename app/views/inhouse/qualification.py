"""内培资格申请 (seed 000 §6.1): the application with its four attachments, the 申请表 template,
the attachments' downloads."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.extensions import db
from app.models import InhouseQualification, StoredFile
from app.views.core.scoping import current_user, now, scoped_id, uploads
from app.views.inhouse.common import MENU_QUALIFICATION, _application_form_docx
from app.workflows.core import files
from app.workflows.core.errors import DomainError
from app.workflows.core.scoping import is_institute, scoped_select
from app.workflows.inhouse import rules


class QualificationPages:
    """The 内培资格申请 pages of InhouseClassesView (routes and permissions are its)."""

    # -- 内培资格申请 -----------------------------------------------------------------------

    @expose("/qualification/", methods=["GET", "POST"])
    @has_access
    def qualification(self):
        user = current_user()
        firm = self._firm_or_institute(user)
        if request.method == "POST" and firm is not None:
            chosen = {doc.name: (uploads(doc.name) or [None])[0] for doc in rules.ATTACHMENTS}
            try:
                rules.apply_qualification(user, now(), request.form.get("year"), chosen)
            except DomainError as error:
                flash(error.message, "danger")
            else:
                flash("数据保存成功，等待协会审核", "success")
                return redirect(url_for(".qualification"))
        rows = list(db.session.scalars(scoped_select(InhouseQualification, user).order_by(
            InhouseQualification.year.desc(), InhouseQualification.id.desc()).limit(200)))
        attached = rules.attachments_of([r.id for r in rows])
        history = {r.id: rules.QUALIFICATION.history(r) for r in rows} if firm else {}
        return self.render_template(
            "inhouse/qualification.html", title=MENU_QUALIFICATION, rows=rows, firm=firm,
            attached=attached, docs=rules.ATTACHMENTS, years=rules.qualification_years(now()),
            history=history, local_time=clock.display,
            year=request.form.get("year") or rules.qualification_years(now())[0])

    @staticmethod
    def _firm_or_institute(user):
        """The firm admin's firm; None for institute staff (they read every firm's rows)."""
        if is_institute(user):
            return None
        try:
            return rules.firm_of(user)
        except DomainError as error:
            abort(403, description=error.message)

    @expose("/qualification/template.docx")
    @has_access
    def qualification_template(self):
        return send_file(io.BytesIO(_application_form_docx()), as_attachment=True,
                         download_name="内培资格申请表.docx",
                         mimetype=files.KINDS["docx"][1])

    @expose("/file/<int:pk>")
    @has_access
    @scoped_id(StoredFile)
    def attachment(self, pk):
        # who may read which file is its owner kind's policy (files.register_owner)
        return files.send(files.readable(current_user(), pk))
