"""The web layer: one module per domain (app/domains.py lists them) and the shared view
machinery in app/views/core/."""
from flask_appbuilder import IndexView


class HomeView(IndexView):
    index_template = "index.html"
