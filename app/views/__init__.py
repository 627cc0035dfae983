"""The web layer: one module per domain (app/domains.py lists them) and the shared view
machinery in app/views/core/."""
from flask_appbuilder import IndexView, expose

from app.views.core.scoping import current_user, now
from app.workflows.core.files import human_size
from app.workflows.home import pages


class HomeView(IndexView):
    """/ : the signed-in user's home page (app/workflows/home), else the sign-in prompt."""

    index_template = "index.html"

    @expose("/")
    def index(self):
        user = current_user()
        kind, home = pages.home_for(user, now()) if user is not None else (None, None)
        if kind is None:
            return self.render_template(self.index_template, appbuilder=self.appbuilder)
        return self.render_template(f"home/{kind}.html", appbuilder=self.appbuilder,
                                    home=home, title="首页", human_size=human_size)
