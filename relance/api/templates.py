"""Email templates: the list, one template, create or change one (checked against the merge fields of its
use before anything is saved, as `relance template save`), and a template rendered for one invoice,
contract, contact or opportunity (nothing sent)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from relance import limits
from relance.api.auth import organisation
from relance.api.limits import Text
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.repository import NotFound
from relance.scenario import authoring
from starter.importing import save_template
from starter.templates import RenderedPreview, preview_template

router = APIRouter(prefix="/v1", tags=["templates"], responses=documented(401, 403, 404, 413, 422))
TemplateKey = Annotated[str, Path(pattern=r"^[\w.-]+$", max_length=limits.MAX_ID_LENGTH)]
Ref = Annotated[str | None, Query(min_length=1, max_length=limits.MAX_ID_LENGTH)]


class TemplateSummaryOut(BaseModel):
    key: str
    name: str
    subject: str


class TemplateOut(TemplateSummaryOut):
    body: str


class TemplateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text
    subject: Text
    body: Annotated[str, Field(max_length=limits.MAX_TEMPLATE_LENGTH), AfterValidator(limits.check_text)]
    use: Literal["dunning", "renewal", "marketing", "pipeline"] | None = Field(
        default=None, description="check the merge fields this use fills in; default: any use's")


class SavedTemplateOut(BaseModel):
    key: str
    created: bool


class PreviewOut(BaseModel):
    template: str
    about: str
    ref: str
    recipient: str | None = Field(description="who it would go to; null: the record has no address")
    subject: str
    body: str


@router.get("/templates", response_model=list[TemplateSummaryOut])
async def list_templates(org: str = Depends(organisation),
                         svc: Services = Depends(services)) -> list[TemplateSummaryOut]:
    """The organisation's templates, its copies of the predefined ones included."""
    return [TemplateSummaryOut(key=t.key, name=t.name, subject=t.subject)
            for t in await authoring.list_templates(svc.db, org)]


@router.get("/templates/{key}", response_model=TemplateOut)
async def get_template(key: TemplateKey, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> TemplateOut:
    t = await authoring.read_template(svc.db, org, key)
    return TemplateOut(key=t.key, name=t.name, subject=t.subject, body=t.body)


@router.put("/templates/{key}", response_model=SavedTemplateOut,
            responses={201: {"model": SavedTemplateOut, "description": "Created"}})
async def put_template(key: TemplateKey, body: TemplateBody, response: Response, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> SavedTemplateOut:
    """Create or change a template; every problem (syntax, an unknown merge field, a render that fails) is
    a 422 and nothing is saved. Scenarios that name it send the changed text from their next email."""
    try:
        await authoring.read_template(svc.db, org, key)
        created = False
    except NotFound:
        created = True
    await save_template(svc.db, org, {"key": key, **body.model_dump(exclude={"use"})}, body.use)
    response.status_code = 201 if created else 200
    return SavedTemplateOut(key=key, created=created)


@router.get("/templates/{key}/preview", response_model=PreviewOut)
async def get_preview(key: TemplateKey, invoice: Ref = None, contract: Ref = None, contact: Ref = None,
                      opportunity: Ref = None, org: str = Depends(organisation),
                      svc: Services = Depends(services)) -> RenderedPreview:
    """The template rendered for one invoice, contract, contact or opportunity (give exactly one), with
    that record's merge fields as they are now; nothing is sent."""
    given = {name: value for name, value in (("invoice", invoice), ("contract", contract), ("contact", contact),
                                              ("opportunity", opportunity)) if value is not None}
    if len(given) != 1:
        raise ProblemError(422, f"template {key!r}: give exactly one of invoice, contract, contact, opportunity",
                           [f"query: got {', '.join(given) or 'none'}"])
    [(about, ref)] = given.items()
    return await preview_template(svc.db, org, key, about, ref, datetime.now(UTC))
