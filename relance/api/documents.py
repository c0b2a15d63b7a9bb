"""Documents the emails attach: sent as the request's body (raw, or multipart/form-data with a `file`
part) or fetched from a URL, listed, deleted; each checked when it arrives (type from its bytes, size),
for the key's organisation only."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from relance import calendar, limits
from relance.api.auth import organisation
from relance.api.limits import Text
from relance.api.problems import documented
from relance.api.services import Services, services
from relance.documents.library import NewDocument
from relance.importing.format import HttpUrl
from relance.repository import zone
from starter import documents

router = APIRouter(prefix="/v1", tags=["documents"], responses=documented(401, 403, 404, 413, 422, 503))
Reference = Annotated[str | None, Query(min_length=1, max_length=limits.MAX_ID_LENGTH)]


class DocumentOut(BaseModel):
    key: str
    invoice: str | None = Field(description="the invoice it belongs to (dunning steps with attach_invoice attach it)")
    filename: str
    content_type: str = Field(description="sniffed from the bytes")
    size: int
    sha256: str
    source_url: str | None
    created_at: datetime | None


class FromUrlBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: HttpUrl
    invoice: Text | None = None
    key: Text | None = None
    filename: Text | None = None


def _out(document, number: str | None, tz: str) -> DocumentOut:
    return DocumentOut(key=document.key, invoice=number, filename=document.filename,
                       content_type=document.content_type, size=document.size, sha256=document.sha256,
                       source_url=document.source_url, created_at=calendar.in_zone_or_none(document.created_at, tz))


@asynccontextmanager
async def _form(request: Request):
    """The multipart form, or the refusal every bad upload gets (Starlette answers a body its parser gives
    up on, a part header with a bare carriage return say, with a bare 400)."""
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as exc:
        raise limits.Refused(f"document: field file could not be read from the multipart body ({exc.detail})")
    try:
        yield form
    finally:
        await form.close()


async def _body(request: Request, filename: str | None) -> tuple[bytes, str]:
    """The bytes and a name: a multipart form's `file` part, else the raw body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with _form(request) as form:
            part = form.get("file")
            if part is None or isinstance(part, str):
                raise limits.Refused("document: field file is missing (a multipart part named `file`)")
            return await part.read(), filename or part.filename or "document"
    return await request.body(), filename or "document"


@router.post("/documents", status_code=201, response_model=DocumentOut,
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {"schema": {
                 "type": "string", "format": "binary"}}, "multipart/form-data": {"schema": {
                     "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}})
async def upload(request: Request, invoice: Reference = None, key: Reference = None,
                 filename: Annotated[str | None, Query(max_length=limits.MAX_NAME_LENGTH)] = None,
                 org: str = Depends(organisation), svc: Services = Depends(services)) -> DocumentOut:
    """A document as the body: PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS (read from its bytes), 5 MB at most,
    an invoice's documents 6 MB together (one email carries them all)."""
    data, name = await _body(request, filename)
    document = await documents.add_bytes(svc.settings, svc.db, org, NewDocument(data, name, invoice, key))
    return _out(document, invoice, await zone(svc.db, org))


@router.post("/documents/from-url", status_code=201, response_model=DocumentOut)
async def from_url(body: FromUrlBody, org: str = Depends(organisation),
                   svc: Services = Depends(services)) -> DocumentOut:
    """relance fetches the URL (public addresses only, redirects checked, 6 s, 5 MB) and keeps the bytes."""
    document = await documents.add_from_url(svc.settings, svc.db, org, body.url, invoice=body.invoice,
                                            key=body.key, filename=body.filename)
    return _out(document, body.invoice, await zone(svc.db, org))


@router.get("/documents", response_model=list[DocumentOut])
async def list_documents(invoice: Reference = None, org: str = Depends(organisation),
                         svc: Services = Depends(services)) -> list[DocumentOut]:
    tz = await zone(svc.db, org)
    return [_out(document, number, tz) for document, number in await documents.listed(svc.db, org, invoice)]


@router.delete("/documents/{key}", status_code=204)
async def delete(key: str = Path(min_length=1, max_length=limits.MAX_ID_LENGTH), org: str = Depends(organisation),
                 svc: Services = Depends(services)) -> Response:
    await documents.remove(svc.settings, svc.db, org, key)
    return Response(status_code=204)
