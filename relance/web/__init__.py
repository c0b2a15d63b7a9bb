"""The agency outbox in a browser, served under /outbox by the HTTP API's app: staff sign in, see
their agencies' drafts, edit and send them (relance.web.outbox on starter.agency)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from relance import i18n
from relance.i18n import N_
from relance.web import account, outbox, reports, signin
from relance.web.pages import HEADERS, page, sign_in_url
from relance.web.session import PATH, Refused, SignInNeeded, visitor


def install(app: FastAPI) -> None:
    app.include_router(signin.router)
    app.include_router(account.router)
    app.include_router(outbox.router)
    app.include_router(reports.router)
    app.mount(f"{PATH}/static", StaticFiles(directory=Path(__file__).parent / "static"), name="outbox-static")

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded):
        """Back to the page after signing in; a form posted with an ended session is not posted again."""
        back = request.url.path if request.method == "GET" else f"{PATH}/"
        return RedirectResponse(sign_in_url(back), status_code=303, headers=HEADERS)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused):
        you = exc.reader or await visitor(request, request.app.state.services)
        _ = i18n.gettext_in(you.language)
        return page(request, you, "refused.html", status=exc.status, title=_(TITLES.get(exc.status, TITLES[400])),
                    message=_(exc.message, **exc.params))


# The heading of a page saying no, per status.
TITLES = {400: N_("This request was not understood"), 403: N_("Not allowed"), 404: N_("Not found"),
          410: N_("This link no longer works"), 422: N_("Not done")}
