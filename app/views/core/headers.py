"""Security headers on every response (issue 14).

- Content-Security-Policy: only the app's own origin. Scripts run from our static files
  and FAB's; the few inline `<script>` blocks (FAB's templates and ours) carry the
  request's nonce (`csp_nonce()` in templates — FAB's `baselib.get_nonce()` calls it).
  Inline event handlers (`onsubmit="…"`) cannot carry a nonce: none is left in our
  templates (confirmations are `data-confirm`, read by app/static/js/confirm_forms.js;
  tests/core/test_confirmations.py keeps it so), so no 'unsafe-hashes' is sent; one added
  anyway would be allowed by its hash, found when the app starts.
  style-src allows 'unsafe-inline': FAB's and our templates use `style="…"` attributes
  throughout (a nonce cannot cover an attribute), and select2/datepicker position their
  pop-ups by inline style; styles cannot run code, scripts stay strictly nonce-only.
- frame-ancestors 'none' (and X-Frame-Options: DENY for old browsers), nosniff,
  Referrer-Policy: same-origin, HSTS only when the session cookie is Secure (HTTPS).
"""
import base64
import hashlib
import html
import re
import secrets
from pathlib import Path

from flask import g

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HANDLER = re.compile(r"""\son[a-z]+=(?:"([^"]*)"|'([^']*)')""")
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's nonce for inline scripts (one per response)."""
    nonce = g.get("_csp_nonce")
    if nonce is None:
        nonce = g._csp_nonce = secrets.token_urlsafe(18)
    return nonce


def handler_hashes(folder: Path = TEMPLATES) -> list[str]:
    """CSP hashes of the static inline event handlers in our templates."""
    hashes = set()
    for path in sorted(folder.rglob("*.html")):
        for match in HANDLER.finditer(path.read_text(encoding="utf-8")):
            code = html.unescape(match.group(1) if match.group(1) is not None else match.group(2))
            if "{{" in code or "{%" in code:
                continue  # rendered per request: cannot be hashed here
            digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode()
            hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def policy(nonce: str, hashes: list[str]) -> str:
    script = ["'self'", f"'nonce-{nonce}'"]
    if hashes:
        script += ["'unsafe-hashes'", *hashes]
    return "; ".join([
        "default-src 'self'",
        "script-src " + " ".join(script),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def install(app) -> None:
    hashes = handler_hashes()
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def security_headers(response):
        # a response with a policy of its own keeps it (a stored file shown inline is
        # sandboxed: files.send); every other gets the page policy
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = policy(csp_nonce(), hashes)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if secure:
            response.headers["Strict-Transport-Security"] = HSTS
        return response
