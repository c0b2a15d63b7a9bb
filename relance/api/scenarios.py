"""Dunning scenarios, as the host's screens edit them (seed 001): the list, one scenario with its versions,
the wizard, a change (a new version), reset, make default. The same functions as `relance scenario …`
(relance.scenario.authoring); running runs keep the version they started with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from relance import limits
from relance.api.auth import organisation
from relance.api.limits import Reference
from relance.api.problems import documented
from relance.api.services import Services, services
from relance.scenario import authoring

router = APIRouter(prefix="/v1", tags=["scenarios"], responses=documented(401, 403, 404, 413, 422))
ScenarioKey = Annotated[str, Path(pattern=r"^[\w.-]+$", max_length=limits.MAX_ID_LENGTH)]


class VersionOut(BaseModel):
    version: int
    default: bool = Field(description="new runs take this version")
    running: int = Field(description="runs going on this version")
    runs: int = Field(description="runs ever started on this version")


class ScenarioSummaryOut(BaseModel):
    key: str
    newest_version: int
    default: bool = Field(description="one of its versions is the organisation's default")
    running: int


class ScenarioOut(BaseModel):
    key: str
    name: str
    version: int = Field(description="the newest version, whose steps these are")
    steps: list[dict[str, Any]] = Field(description="in the import file's format, numbered from 1 in this order")
    versions: list[VersionOut]


class SavedScenarioOut(BaseModel):
    key: str
    version: int
    default: bool


class WizardBody(BaseModel):
    """The wizard's three answers (seed 001), and when to call: two reminders and a phone call."""

    model_config = ConfigDict(extra="forbid")
    first_days: int = Field(ge=-limits.MAX_DAYS, le=limits.MAX_DAYS,
                            description="days from the due date to the 1st reminder")
    second_days: int = Field(ge=0, le=limits.MAX_DAYS, description="days from the 1st to the 2nd reminder")
    sender: Reference = Field(description="the sending user's email, a verified SES identity")
    call_after_days: int = Field(default=authoring.DEFAULT_CALL_AFTER_DAYS, ge=0, le=limits.MAX_DAYS,
                                 description="days from the 2nd reminder to the phone call")


SCENARIO_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["name", "steps"], "additionalProperties": False,
    "description": "the scenario in the import file's format (`scenarios[]`, its key in the path): 1 to 5 email "
                   "steps, pauses, actions; problems name the step by its number, from 1",
    "properties": {"name": {"type": "string"}, "steps": {"type": "array", "items": {"type": "object"}},
                   "default": {"type": "boolean", "description": "also make it the organisation's default"}}}}}}}


def _saved(scenario, default_id: int | None = None) -> SavedScenarioOut:
    return SavedScenarioOut(key=scenario.key, version=scenario.version, default=scenario.id == default_id)


@router.get("/scenarios", response_model=list[ScenarioSummaryOut])
async def list_scenarios(org: str = Depends(organisation),
                         svc: Services = Depends(services)) -> list[ScenarioSummaryOut]:
    """The organisation's dunning scenarios: newest version, whether it is the default, runs going."""
    summaries: dict[str, ScenarioSummaryOut] = {}
    for v in await authoring.versions(svc.db, org):
        seen = summaries.setdefault(v["key"], ScenarioSummaryOut(key=v["key"], newest_version=0, default=False,
                                                                 running=0))
        seen.newest_version = max(seen.newest_version, v["version"])
        seen.default |= v["default"]
        seen.running += v["running"]
    return list(summaries.values())


@router.get("/scenarios/{key}", response_model=ScenarioOut)
async def get_scenario(key: ScenarioKey, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> ScenarioOut:
    """The newest version's steps, and every version with how many runs use it."""
    exported = await authoring.export_scenario(svc.db, org, key)
    return ScenarioOut(key=exported["key"], name=exported["name"], version=exported["version"],
                       steps=exported["steps"],
                       versions=[VersionOut(**{k: v[k] for k in ("version", "default", "running", "runs")})
                                 for v in await authoring.versions(svc.db, org, key)])


@router.post("/scenarios/wizard", response_model=SavedScenarioOut, status_code=201)
async def wizard(body: WizardBody, org: str = Depends(organisation),
                 svc: Services = Depends(services)) -> SavedScenarioOut:
    """Create the default scenario from the wizard's answers and make it the default (as `relance scenario
    init`); a sender SES has not verified is refused. Simulate it before switching dunning on."""
    scenario = await authoring.init_scenario(svc.db, svc.mailer, org, body.first_days, body.second_days,
                                             body.sender, body.call_after_days)
    return _saved(scenario, scenario.id)


@router.put("/scenarios/{key}", response_model=SavedScenarioOut, openapi_extra=SCENARIO_BODY,
            responses={201: {"model": SavedScenarioOut, "description": "Created"}})
async def put_scenario(key: ScenarioKey, response: Response, body: Annotated[Any, Body(include_in_schema=False)],
                       org: str = Depends(organisation), svc: Services = Depends(services)) -> SavedScenarioOut:
    """Create the scenario, or change it as a new version (unchanged steps keep the version); all or nothing,
    as `relance scenario apply`."""
    raw = dict(body) if isinstance(body, dict) else body
    make_default = raw.pop("default", False) if isinstance(raw, dict) else False
    if isinstance(raw, dict):
        raw["key"] = key
    if not isinstance(make_default, bool):
        raise authoring.ScenarioRejected([f"scenario {key!r} › default: must be true or false"])
    before = {v["version"] for v in await authoring.versions(svc.db, org) if v["key"] == key}
    scenario = await authoring.apply_scenario(svc.db, org, raw, make_default)
    response.status_code = 201 if not before else 200
    return SavedScenarioOut(key=scenario.key, version=scenario.version,
                            default=await _is_default(svc, org, key, scenario.version))


@router.post("/scenarios/reset", response_model=SavedScenarioOut)
async def reset(org: str = Depends(organisation), svc: Services = Depends(services)) -> SavedScenarioOut:
    """Back to the predefined default scenario (10 and 20 days, the organisation's sender), made the default."""
    scenario = await authoring.reset_scenario(svc.db, org)
    return _saved(scenario, scenario.id)


@router.post("/scenarios/{key}/default", response_model=SavedScenarioOut)
async def make_default(key: ScenarioKey, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> SavedScenarioOut:
    """Its newest version becomes the default: new runs take it, running ones keep theirs."""
    scenario = await authoring.make_default(svc.db, org, key)
    return _saved(scenario, scenario.id)


async def _is_default(svc: Services, org: str, key: str, version: int) -> bool:
    return any(v["default"] for v in await authoring.versions(svc.db, org, key) if v["version"] == version)
