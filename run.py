"""WSGI entry (`gunicorn run:app`) and the `flask --app run.py` CLI."""
import sys

from app import create_app, pages_needed

# the CLI commands that serve no page get an app without views (see app.PAGELESS_COMMANDS)
app = create_app(pages=pages_needed(sys.argv))
