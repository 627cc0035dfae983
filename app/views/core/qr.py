"""QR codes that open the site on a phone (issue 27): the login page and printed pages
carry one, made from the configured public address (PUBLIC_URL; without it, the address
the request came in on). segno draws it — a maintained, pure-Python encoder — as inline
SVG, so no image route and nothing for the CSP to allow."""
from urllib.parse import urljoin

import segno
from flask import current_app, has_request_context, request
from markupsafe import Markup


def public_url(path: str = "/") -> str:
    """The address a phone should open: PUBLIC_URL + path (e.g. https://zx.example.org/login/)."""
    base = (current_app.config.get("PUBLIC_URL") or "").strip()
    if not base and has_request_context():
        base = request.host_url
    base = base or "http://localhost/"
    return urljoin(base.rstrip("/") + "/", path.lstrip("/"))


def qr_svg(text: str, scale: int = 4, title: str = "") -> Markup:
    """Inline SVG of a QR code holding `text` (error correction M, quiet zone kept)."""
    code = segno.make(text, error="m", micro=False)
    svg = code.svg_inline(scale=scale, title=title or None, svgclass="qr-code", lineclass=None,
                          omitsize=False)
    return Markup(svg)


def public_qr(path: str = "/login/", scale: int = 4) -> Markup:
    """The QR of the site's public address (Jinja global `public_qr`)."""
    return qr_svg(public_url(path), scale=scale, title="手机扫码打开服务系统")


def install(app) -> None:
    app.jinja_env.globals.update(public_qr=public_qr, public_url=public_url)
