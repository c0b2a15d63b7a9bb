"""Import files (the README's format, JSON or YAML) for the key's organisation, and, with an admin
key, new organisations and their first key. All or nothing, every problem named, as `relance import`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from temporalio.client import Client

from relance import apikeys, limits, repository
from relance.api.auth import admin, organisation
from relance.api.contract import ContractRoute, StrictBody
from relance.api.heavy import DATABASE_CONNECTIONS, heavy_requests
from relance.api.idempotency import shown_once
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.config import Settings
from relance.db import Database
from relance.importing.changes import as_json
from relance.importing.importer import ImportRejected, import_day, parse_text, too_big
from relance.temporal.client import connect
from starter.importing import import_and_start, import_data

router = APIRouter(prefix="/v1", tags=["import"], responses=documented(401, 403, 413, 422, 429, 503),
                   route_class=ContractRoute)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
IMPORT_BODY = {"requestBody": {"required": True, "description": "an import file (docs/import-format.md)",
                               "content": {"application/json": {"schema": {"type": "object"}},
                                           "application/yaml": {"schema": {"type": "string"}}}}}
ORGANISATION_BODY = {"requestBody": {"required": True, "description": "one organisation as in an import file",
                                     "content": {"application/json": {"schema": {"type": "object"}}}}}


class FieldChangeOut(BaseModel):
    before: Any
    after: Any


class SectionChangesOut(BaseModel):
    """One section (table) of one organisation: what a dry run would create, update, leave as it is."""

    organisation: str
    section: str
    created: list[str]
    updated: dict[str, dict[str, FieldChangeOut]] = Field(description="record -> field -> before, after")
    unchanged: int


class ImportOut(BaseModel):
    counts: dict[str, int] = Field(description="records written, by kind")
    new_invoices: int
    changed_invoices: int
    runs_started: int
    schedules: list[str]
    dry_run: bool = False
    changes: list[SectionChangesOut] = Field(default=[], description="a dry run's answer")


def _document(body: bytes, content_type: str) -> Any:
    """The body as the importer's raw document; a body that is not JSON (or YAML) is named as such."""
    if not body:
        return ""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRejected("request body", [f"not UTF-8 text (byte {body[exc.start]:#04x} at offset "
                                              f"{exc.start})"]) from exc
    is_yaml = content_type.split(";")[0].strip() in YAML_TYPES
    return parse_text(text, "request body", json_format=not is_yaml)


async def _apart(request: Request, holder: str, svc: Services, job: Callable[..., Awaitable[Any]],
                 *args: Any) -> Any:
    """`job(settings, body, content_type, *args)` parses, checks and imports the body in a child process
    (relance.api.heavy), one import per organisation at a time: a 20 MB file or a slow template holds no
    other request. The child connects to the Temporal server this API's client uses."""
    body, content_type = await _file_body(request), request.headers.get("content-type", "")
    client = await svc.client()
    settings = replace(svc.settings, database_url=svc.db.url, temporal_namespace=client.namespace,
                       temporal_address=client.service_client.config.target_host)
    return await heavy_requests(request).apart(holder, job, settings, body, content_type, *args)


async def _file_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it is past an import file's size (declared, or as it comes)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.MAX_FILE_BYTES:
        raise ProblemError(413, too_big(int(declared)), [f"body: {too_big(int(declared))}"])
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limits.MAX_FILE_BYTES:
            raise ProblemError(413, too_big(len(body)), [f"body: {too_big(len(body))} (and more was coming)"])
    return bytes(body)


@asynccontextmanager
async def _connected(settings: Settings) -> AsyncIterator[tuple[Client, Database]]:
    db = Database(settings.database_url, pool_size=DATABASE_CONNECTIONS)
    try:
        yield await connect(settings), db
    finally:
        await db.close()


async def _import_into(settings: Settings, body: bytes, content_type: str, org: str, dry_run: bool) -> ImportOut:
    """In a child process: the file, whose every organisation must be `org` (a dry run writes nothing)."""
    raw = _document(body, content_type)
    organisations = raw.get("organisations") if isinstance(raw, dict) else None
    if isinstance(organisations, list):
        strangers = [f"organisations[{i}].slug: {o.get('slug')!r} is not this key's organisation {org!r}"
                     for i, o in enumerate(organisations) if isinstance(o, dict) and o.get("slug") != org]
        if strangers:
            raise ImportRejected("request body", strangers)
    async with _connected(settings) as (client, db):
        return await _import(client, db, settings, raw, "request body", dry_run)


async def _create_organisation(settings: Settings, body: bytes, content_type: str) -> OrganisationOut:
    """In a child process: one organisation as in a file, refused if it exists."""
    raw = _document(body, content_type)
    slug = raw.get("slug") if isinstance(raw, dict) else None
    async with _connected(settings) as (client, db):
        if isinstance(slug, str) and await _exists(db, slug):
            raise ProblemError(409, f"organisation {slug!r} already exists; import into it with its own key")
        return OrganisationOut(slug=str(slug), imported=await _import(client, db, settings, {"organisations": [raw]},
                                                                      "request body"))


async def _import(client: Client, db: Database, settings: Settings, raw: Any, source: str,
                  dry_run: bool = False) -> ImportOut:
    today = import_day(raw, datetime.now(UTC))
    if dry_run:
        report = await import_data(db, raw, source, today, dry_run=True)
        return ImportOut(counts=report.counts, new_invoices=len(report.new_invoices),
                         changed_invoices=len(report.changed_invoices), runs_started=0, schedules=[], dry_run=True,
                         changes=as_json(report.changes))
    outcome = await import_and_start(client, db, settings.task_queue, settings.sweep_cron,
                                     raw, source, today, settings=settings)
    report = outcome.report
    return ImportOut(counts=report.counts, new_invoices=len(report.new_invoices),
                     changed_invoices=len(report.changed_invoices), runs_started=outcome.runs_started,
                     schedules=outcome.schedules)


@router.post("/imports", response_model=ImportOut, openapi_extra=IMPORT_BODY)
async def post_import(request: Request, org: str = Depends(organisation), svc: Services = Depends(services),
                      dry_run: bool = Query(False, description="answer what the file would change; write nothing")
                      ) -> ImportOut:
    """Import a file for this key's organisation: every organisation it holds must be that one. It changes
    what it names and nothing else (README, "Import format")."""
    return await _apart(request, org, svc, _import_into, org, dry_run)


class OrganisationOut(BaseModel):
    slug: str
    imported: ImportOut


@router.post("/organisations", response_model=OrganisationOut, status_code=201, openapi_extra=ORGANISATION_BODY,
             responses=documented(409))
async def post_organisation(request: Request, _: apikeys.KeyHolder = Depends(admin),
                            svc: Services = Depends(services)) -> OrganisationOut:
    """Create an organisation (admin key): its settings, users, templates, scenarios, ... as in a file."""
    return await _apart(request, "(new organisations)", svc, _create_organisation)


class KeyBody(StrictBody):
    name: str = Field(default="", max_length=100, description="what the key is for")


class KeyOut(BaseModel):
    id: int
    organisation: str
    name: str
    key: str = Field(description="shown once: relance keeps only its hash")


@router.post("/organisations/{slug}/api-keys", response_model=KeyOut, status_code=201)
async def post_api_key(slug: str, body: KeyBody, response: Response, _: apikeys.KeyHolder = Depends(admin),
                       svc: Services = Depends(services)) -> KeyOut:
    """A key for an organisation (admin key), shown once (a retry with the same Idempotency-Key
    answers 409: the key is not kept to be shown again)."""
    key, token = await apikeys.create_key(svc.db, slug, body.name, datetime.now(UTC))
    shown_once(response)
    return KeyOut(id=key.id, organisation=slug, name=key.name, key=token)


async def _exists(db: Database, slug: str) -> bool:
    async with db.session() as session:
        try:
            await repository.organisation(session, slug)
        except repository.NotFound:
            return False
    return True
