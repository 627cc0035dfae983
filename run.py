"""WSGI entry (`gunicorn run:app`) and the `flask --app run.py` CLI."""
from app import create_app

app = create_app()
