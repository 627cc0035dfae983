"""WSGI entry (`gunicorn run:app`) and the `flask --app run.py` CLI."""
import ctypes
import sys

from app import create_app, pages_needed


def _two_malloc_arenas() -> None:
    """At most two glibc malloc arenas (= MALLOC_ARENA_MAX=2), set before the server starts
    its threads. With one arena per thread (glibc's default: 8 per core) a served process
    grew by each thread's high-water mark — 148 → 193 MB over six 100,000-row exports on 8
    waitress threads, flat (143–157 MB) with two (issue 28, `python -m bench.exports`)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: its own allocator, nothing to set
        return
    if hasattr(libc, "mallopt"):
        libc.mallopt(-8, 2)  # M_ARENA_MAX


_two_malloc_arenas()
# the CLI commands that serve no page get an app without views (see app.PAGELESS_COMMANDS)
app = create_app(pages=pages_needed(sys.argv))
