"""Server-rendered pages: jinja2 with autoescape, the session cookie set where needed, and headers
that keep the pages out of frames, caches and other sites' Referer (a sign-in link is a secret)."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape

from relance import i18n
from relance.email.rendering import day, money
from relance.web import wording
from relance.web.session import COOKIE, PATH, Visitor, cookie_value


@functools.cache
def templates(language: str) -> Environment:
    """The pages in `language`: jinja2's i18n extension over relance's catalogue of it (one environment
    per language, so concurrent requests in two languages never share translations), and filters that
    write dates and amounts in the reader's locale (`locale` in the page's context)."""
    env = Environment(loader=PackageLoader("relance.web", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    env.filters.update(day=_day, money=_money)
    return env


@pass_context
def _day(context, value: date) -> str:
    return day(value, context["locale"])


@pass_context
def _money(context, value) -> str:
    return money(Decimal(value), context["visitor"].currency, context["locale"])


# Each language in its own name, on the account page's choice.
LANGUAGE_NAMES = [("fr", "Français"), ("en", "English")]
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def page(request: Request, visitor: Visitor, template: str, status: int = 200, **context) -> HTMLResponse:
    settings = request.app.state.services.settings
    html = templates(visitor.language).get_template(template).render(
        visitor=visitor, csrf=visitor.csrf_token(settings.web_secret), **wording_for(visitor), **context)
    return _with_cookie(request, visitor, HTMLResponse(html, status_code=status, headers=HEADERS))


def wording_for(visitor: Visitor) -> dict:
    """What every page writes with: the reader's language and locale, and the outbox's words in it."""
    return {"language": visitor.language, "locale": visitor.locale, "languages": LANGUAGE_NAMES,
            "kinds": wording.KINDS, "kind_name": wording.KIND, "status_word": wording.STATUS,
            "booking_status": wording.BOOKING_STATUS,
            "explain": functools.partial(wording.explain, language=visitor.language),
            "flag": functools.partial(wording.flag, language=visitor.language, locale=visitor.locale)}


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
