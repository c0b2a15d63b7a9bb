"""Server-rendered pages: jinja2 with autoescape, the session cookie set where needed, and headers
that keep the pages out of frames, caches and other sites' Referer (a sign-in link is a secret)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from relance.web.session import COOKIE, PATH, Visitor, cookie_value

templates = Environment(loader=PackageLoader("relance.web", "templates"), autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def page(request: Request, visitor: Visitor, template: str, status: int = 200, **context) -> HTMLResponse:
    settings = request.app.state.services.settings
    html = templates.get_template(template).render(
        visitor=visitor, csrf=visitor.csrf_token(settings.web_secret), **context)
    return _with_cookie(request, visitor, HTMLResponse(html, status_code=status, headers=HEADERS))


def see_other(request: Request, visitor: Visitor, url: str) -> Response:
    """After a POST, the browser GETs the result page (a reload does not post twice)."""
    return _with_cookie(request, visitor, RedirectResponse(url, status_code=303, headers=HEADERS))


def sign_in_url(next_path: str) -> str:
    return f"{PATH}/signin?next={quote(next_path)}"


def safe_next(next_path: str | None) -> str:
    """Where to go after signing in: only a page of the outbox (no open redirect)."""
    if next_path and next_path.startswith(PATH + "/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return PATH + "/"


def _with_cookie(request: Request, visitor: Visitor, response: Response) -> Response:
    if visitor.new_cookie:
        settings = request.app.state.services.settings
        response.set_cookie(COOKIE, cookie_value(settings.web_secret, visitor.key), httponly=True, samesite="lax",
                            secure=settings.public_base_url.startswith("https:"), path=PATH)
    return response
