"""Scenario authoring: the wizard, the scenario as a file (show, validate, apply), reset, versions.

Applying a scenario whose steps changed writes a new version; runs already going keep the version
they started with (their plan is frozen), new runs take the organisation's newest default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    AppUser,
    DunningRun,
    EmailTemplate,
    MarketingEnrolment,
    Organisation,
    Scenario,
    ScenarioPurpose,
    SenderMode,
)
from relance import limits, repository
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.email.senders import SenderRefused, verified_sender
from relance.importing.format import ScenarioIn, StepIn, TaskIn, TemplateIn
from relance.importing.importer import (
    ImportRejected,
    predefined_copies,
    scenario_check,
    template_check,
    write_scenario,
    write_template,
)
from relance.scenario import predefined
from relance.scenario.plan import step_number
from relance.scenario.steps import scenario_steps

DEFAULT_KEY = "default"
DEFAULT_FIRST_DAYS = 10
DEFAULT_SECOND_DAYS = 20
DEFAULT_CALL_AFTER_DAYS = 60
LABELS = {
    "fr": ("Relance des factures impayées", "Première relance", "Deuxième relance", "Relance téléphonique",
           "Appeler le client au sujet de la facture impayée", "Pause de {} jours"),
    "en": ("Unpaid invoice reminders", "First reminder", "Second reminder", "Phone reminder",
           "Call the customer about the unpaid invoice", "{}-day pause"),
}


class ScenarioRejected(ValueError):
    """Every problem, each naming the scenario, the step and the field; nothing was written."""

    def __init__(self, problems: list[str]):
        super().__init__("scenario refused, nothing applied:\n  - " + "\n  - ".join(problems))
        self.problems = problems


def default_scenario(first_days: int, second_days: int, sender: str, locale: str = "fr_FR",
                     call_after_days: int = DEFAULT_CALL_AFTER_DAYS) -> ScenarioIn:
    """The wizard's scenario (seed 001): two reminders and a phone call, ready to edit."""
    problems = []
    for option, days, negative in (("--first-days", first_days, True), ("--second-days", second_days, False),
                                   ("--call-after", call_after_days, False)):
        try:
            limits.check_days(days, negative=negative)
        except ValueError as exc:
            problems.append(f"{option}: {exc}")
    if problems:
        raise ScenarioRejected(problems)
    name, first, second, call, call_title, pause = LABELS.get(locale.split("_")[0], LABELS["fr"])
    return ScenarioIn(key=DEFAULT_KEY, name=name, steps=[
        StepIn(kind="email", label=first, offset_days=first_days,
               template=predefined.for_locale(locale, "first_reminder"), sender=sender),
        StepIn(kind="pause", label=pause.format(second_days), days=second_days),
        StepIn(kind="email", label=second, template=predefined.for_locale(locale, "second_reminder"), sender=sender),
        StepIn(kind="pause", label=pause.format(call_after_days), days=call_after_days),
        StepIn(kind="action", label=call, task=TaskIn(title=call_title, assignee=sender, due_in_days=7)),
    ])


async def _users(session: AsyncSession, org: Organisation) -> dict[str, AppUser]:
    return {u.email: u for u in (await session.exec(select(AppUser).where(AppUser.org_id == org.id))).all()}


async def _templates(session: AsyncSession, org: Organisation) -> dict[str, EmailTemplate]:
    rows = (await session.exec(select(EmailTemplate).where(EmailTemplate.org_id == org.id))).all()
    return {t.key: t for t in rows}


async def _apply(session: AsyncSession, org: Organisation, scenario: ScenarioIn, make_default: bool) -> Scenario:
    users, templates = await _users(session, org), await _templates(session, org)
    problems = scenario_check(scenario, set(templates) | set(predefined.templates()), set(users))
    if problems:
        raise ScenarioRejected(problems)
    templates.update(await predefined_copies(session, org, scenario, templates))
    written = await write_scenario(session, org, scenario, users, templates)
    current = await session.get(Scenario, org.default_scenario_id) if org.default_scenario_id else None
    if make_default or (current is not None and current.key == scenario.key):
        org.default_scenario_id = written.id
        session.add(org)
    return written


async def init_scenario(db: Database, mailer: SesMailer, org_slug: str, first_days: int, second_days: int,
                        sender: str, call_after_days: int = DEFAULT_CALL_AFTER_DAYS) -> Scenario:
    """The wizard: refuses a sender whose address SES has not verified, since nothing could go out."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        try:
            user = await verified_sender(session, mailer, org, sender, "wizard › sender")
        except SenderRefused as exc:
            raise ScenarioRejected([str(exc)]) from exc
        negative = [f"wizard › {name}: must be 0 or more, got {value}" for name, value in
                    (("first_days", first_days), ("second_days", second_days), ("call_after_days", call_after_days))
                    if value < 0]
        if negative:
            raise ScenarioRejected(negative)
        scenario = default_scenario(first_days, second_days, sender, org.locale, call_after_days)
        org.default_sender_user_id, org.sender_mode = user.id, SenderMode.USER
        return await _apply(session, org, scenario, make_default=True)


async def reset_scenario(db: Database, org_slug: str) -> Scenario:
    """Back to the default scenario (10 and 20 days, the organisation's default sender)."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        sender = await session.get(AppUser, org.default_sender_user_id) if org.default_sender_user_id else None
        if sender is None:
            raise ScenarioRejected([f"organisation {org_slug!r} › dunning.sender: no default sender to reset with"])
        scenario = default_scenario(DEFAULT_FIRST_DAYS, DEFAULT_SECOND_DAYS, sender.email, org.locale)
        return await _apply(session, org, scenario, make_default=True)


def parse_scenario(raw: Any) -> ScenarioIn:
    """The file format of `show`; its `version` is informational (applying decides the next one)."""
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k != "version"}
    try:
        return ScenarioIn.model_validate(raw)
    except ValidationError as exc:
        key = raw.get("key", "?") if isinstance(raw, dict) else "?"
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            if loc[:1] == ["steps"] and len(loc) > 1 and isinstance(loc[1], int):
                label = raw["steps"][loc[1]].get("label", "") if isinstance(raw["steps"][loc[1]], dict) else ""
                where = f"step {step_number(loc[1])} {label!r} › " + ".".join(map(str, loc[2:]))
            else:
                where = ".".join(map(str, loc))
            problems.append(f"scenario {key!r} › {where}: {err['msg']}")
        raise ScenarioRejected(problems) from exc


async def validate_scenario(db: Database, org_slug: str, raw: Any) -> list[str]:
    """Problems of a scenario file for this organisation, without writing anything."""
    try:
        scenario = parse_scenario(raw)
    except ScenarioRejected as exc:
        return exc.problems
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        users, templates = await _users(session, org), await _templates(session, org)
    return scenario_check(scenario, set(templates) | set(predefined.templates()), set(users))


async def apply_scenario(db: Database, org_slug: str, raw: Any, make_default: bool = False) -> Scenario:
    """All or nothing: returns the scenario version that is now current."""
    scenario = parse_scenario(raw)
    async with db.session() as session:
        return await _apply(session, await repository.organisation(session, org_slug), scenario, make_default)


async def export_scenario(db: Database, org_slug: str, key: str | None = None) -> dict:
    """The newest version of a scenario (default: the organisation's) in the file format."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        if key is None:
            scenario = await session.get(Scenario, org.default_scenario_id) if org.default_scenario_id else None
        else:
            scenario = (await session.exec(select(Scenario).where(Scenario.org_id == org.id, Scenario.key == key)
                                           .order_by(Scenario.version.desc()))).first()
        if scenario is None:
            raise repository.NotFound(f"organisation {org_slug!r} has no scenario {key or '(default)'!r}")
        users = {u.id: u.email for u in (await _users(session, org)).values()}
        templates = {t.id: t.key for t in (await _templates(session, org)).values()}
        steps = []
        for s in await scenario_steps(session, scenario.id):
            step = {"kind": s.kind, "label": s.label, "offset_days": s.offset_days,
                    "days": s.pause_days if s.kind == "pause" else None,
                    "template": templates.get(s.template_id), "sender": users.get(s.sender_user_id),
                    "sender_name": s.sender_name,
                    "window": [s.window_start.isoformat(), s.window_end.isoformat()] if s.window_start else None,
                    "send_days": s.send_weekdays,
                    "task": {"title": s.task_title, "assignee": users.get(s.task_assignee_user_id),
                             "due_in_days": s.task_due_days} if s.kind == "action" else None}
            steps.append({k: v for k, v in step.items() if v is not None})
    return {"key": scenario.key, "name": scenario.name, "version": scenario.version, "steps": steps}


async def versions(db: Database, org_slug: str, key: str | None = None,
                   purpose: ScenarioPurpose = ScenarioPurpose.DUNNING) -> list[dict]:
    """Every version of every scenario of `purpose` (or of `key`'s), with how many runs use it (running / in
    all): a dunning scenario's runs, a marketing scenario's enrolments."""
    runs = DunningRun if purpose == ScenarioPurpose.DUNNING else MarketingEnrolment
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        rows = (await session.exec(
            select(Scenario.key, Scenario.version, Scenario.id,
                   func.count(runs.scenario_id).filter(runs.ended_at.is_(None)), func.count(runs.scenario_id))
            .join(runs, runs.scenario_id == Scenario.id, isouter=True)
            .where(Scenario.org_id == org.id, Scenario.purpose == purpose,
                   *([Scenario.key == key] if key is not None else []))
            .group_by(Scenario.key, Scenario.version, Scenario.id)
            .order_by(Scenario.key, Scenario.version)
        )).all()
    if key is not None and not rows:
        raise repository.NotFound(f"organisation {org_slug!r} has no scenario {key!r}")
    return [{"key": k, "version": v, "default": i == org.default_scenario_id, "running": r, "runs": n}
            for k, v, i, r, n in rows]


async def make_default(db: Database, org_slug: str, key: str) -> Scenario:
    """The newest version of `key` becomes the organisation's default: new runs take it, running ones keep theirs."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        scenario = (await session.exec(select(Scenario).where(
            Scenario.org_id == org.id, Scenario.key == key, Scenario.purpose == ScenarioPurpose.DUNNING)
            .order_by(Scenario.version.desc()))).first()
        if scenario is None:
            raise repository.NotFound(f"organisation {org_slug!r} has no scenario {key!r}")
        org.default_scenario_id = scenario.id
        session.add(org)
        return scenario


async def save_template(db: Database, org_slug: str, raw: Any, known: Mapping[str, str]) -> EmailTemplate:
    """A custom template, checked (merge fields, syntax, a sample render) before it is saved."""
    try:
        template = TemplateIn.model_validate(raw)
    except ValidationError as exc:
        raise ImportRejected("template", [f"template › {'.'.join(map(str, e['loc']))}: {e['msg']}"
                                          for e in exc.errors()]) from exc
    problems = template_check(template, known)
    if problems:
        raise ImportRejected(f"template {template.key!r}", problems)
    async with db.session() as session:
        return await write_template(session, await repository.organisation(session, org_slug), template)


async def list_templates(db: Database, org_slug: str) -> list[EmailTemplate]:
    """The organisation's templates (its copies of the predefined ones included), by key."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        return sorted((await _templates(session, org)).values(), key=lambda t: t.key)


async def read_template(db: Database, org_slug: str, key: str) -> EmailTemplate:
    async with db.session() as session:
        template = (await _templates(session, await repository.organisation(session, org_slug))).get(key)
    if template is None:
        raise repository.NotFound(f"organisation {org_slug!r} has no template {key!r}")
    return template
