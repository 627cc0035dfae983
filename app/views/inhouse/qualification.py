"""内培资格申请 (seed 000 §6.1): the application with its four attachments, the 申请表 template,
the attachments' downloads."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.extensions import db
from app.models import InhouseQualification, StoredFile
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now, scoped_id, uploads
from app.views.inhouse.common import LOOKS, MENU_QUALIFICATION, _application_form_docx
from app.workflows.core import files
from app.workflows.core.acting import acting_firm
from app.workflows.core.scoping import is_institute, scoped_select
from app.workflows.inhouse import qualification
from app.workflows.inhouse.common import FIRM_ONLY


class QualificationPages:
    """The 内培资格申请 pages of InhouseClassesView (routes and permissions are its)."""

    # -- 内培资格申请 -----------------------------------------------------------------------

    @expose("/qualification/", methods=["GET", "POST"])
    @has_access
    @refusals(form="_qualification_page")
    def qualification(self):
        user = current_user()
        firm = self._firm_or_institute(user)
        if request.method == "POST" and firm is not None:
            chosen = {doc.name: (uploads(doc.name) or [None])[0]
                      for doc in qualification.ATTACHMENTS}
            qualification.apply_qualification(user, now(), request.form.get("year"), chosen)
            flash("数据保存成功，等待协会审核", "success")
            return redirect(url_for(".qualification"))
        return self._qualification_page()

    def _qualification_page(self):
        user = current_user()
        firm = self._firm_or_institute(user)
        rows = list(db.session.scalars(scoped_select(InhouseQualification, user).order_by(
            InhouseQualification.year.desc(), InhouseQualification.id.desc()).limit(200)))
        attached = qualification.attachments_of([r.id for r in rows])
        history = {r.id: qualification.QUALIFICATION.history(r) for r in rows} if firm else {}
        years = qualification.qualification_years(now())
        return self.render_template(
            "inhouse/qualification.html", title=MENU_QUALIFICATION, rows=rows, firm=firm,
            attached=attached, docs=qualification.ATTACHMENTS, years=years, looks=LOOKS,
            history=history, local_time=clock.display,
            year=request.form.get("year") or years[0])

    @staticmethod
    def _firm_or_institute(user):
        """The firm admin's firm; None for institute staff (they read every firm's rows);
        anyone else is refused (403, 「只有事务所管理员可以办理事务所内部培训事项」)."""
        if is_institute(user):
            return None
        firm = acting_firm(user)
        if firm is None:
            abort(403, description=FIRM_ONLY)
        return firm

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
