"""The import file's `pipeline` section (issue 13): its cross-record checks, every problem named, and
its writes. A rule whose trigger or automations changed becomes a new version (a new row): events
already reported keep the version they saw."""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    ActionType,
    Opportunity,
    Organisation,
    PipelineRule,
    ProcessStage,
    SalesProcess,
)
from relance import conditions
from relance.importing import rows
from relance.importing.format import (
    ASSIGNED_TO,
    RESULTS,
    TIME_TRIGGERS,
    AutomationIn,
    OrganisationIn,
    PipelineIn,
    RuleIn,
    condition_vocabulary,
)
from relance.importing.references import not_a_user, unknown
from relance.importing.rows import named, upsert

# The fields each automation kind needs, and those it may use; any other field set is a mistake.
NEEDS = {
    "create_action": ("type", "title", "assignee", "due_in_days"),
    "notify": ("text",),
    "enrol": ("scenario",),
    "unenrol": ("scenario",),
    "send_email": ("to", "sender", "template"),
    "add_tag": ("tag",),
    "create_campaign": ("template", "name"),
    "remove_tag": ("tag",),
    "update_field": ("field", "value"),
    "assign": (),
    "wait": (),
    "call_host": ("endpoint",),
}
MAY = {"wait": ("days", "at", "condition"), "create_action": ("business_days",), "notify": ("user", "sender"),
       "send_email": ("document_url", "attach"), "create_campaign": ("sender",), "assign": ("users", "by")}
TRIGGER_NEEDS = {"result": ("result",), "enters_stage": ("stage",), "stage_change": ("from_stage", "to_stage"),
                 "quote_sent": (), "quote_reopened": (), "action_created": ("type",), "action_closed": ("type",),
                 "days_in_stage": ("days",), "days_before_close": ("days",), "days_after_close": ("days",),
                 "days_after_result": ("result", "days")}
TRIGGER_MAY = {name: ("business_days",) for name in TIME_TRIGGERS} | {"days_in_stage": ("stage", "business_days")}
_TRIGGER_FIELDS = ("result", "stage", "from_stage", "to_stage", "type", "days", "business_days")
_SHOWN = {"from_stage": "from", "to_stage": "to"}


def email_templates(pipeline: PipelineIn) -> set[str]:
    """The templates the pipeline's emails use (checked against the opportunity's merge fields)."""
    return {a.template for p in pipeline.processes for r in p.rules for a in r.automations if a.do == "send_email"}


def campaign_templates(pipeline: PipelineIn) -> set[str]:
    return {a.template for p in pipeline.processes for r in p.rules for a in r.automations
            if a.do == "create_campaign"}


def automation_problems(at: str, a: AutomationIn, *, stages: Container[str], types: Container[str],
                        templates: Container[str], users: Container[str], scenarios: Container[str],
                        endpoints: Container[str] = ()) -> list[str]:
    """Every problem of one automation, each naming its field."""
    problems = [f"{at} › {name}: {a.do} needs it" for name in NEEDS[a.do] if getattr(a, name) is None]
    allowed = {"do", *NEEDS[a.do], *MAY.get(a.do, ())}
    problems += [f"{at} › {name}: {a.do} does not use it" for name in AutomationIn.model_fields
                 if name not in allowed and name != "business_days" and getattr(a, name) is not None]
    if a.business_days and a.do != "create_action":
        problems.append(f"{at} › business_days: {a.do} does not use it")
    problems += unknown(at, "type", a.type, types, "action type")
    problems += unknown(at, "template", a.template, templates)
    problems += not_a_user(at, "sender", a.sender, users)
    problems += unknown(at, "scenario", a.scenario, scenarios, "marketing scenario")
    if a.assignee is not None and a.assignee != ASSIGNED_TO and a.assignee not in users:
        problems.append(f"{at} › assignee: {a.assignee!r} is neither {ASSIGNED_TO} nor a user of the organisation")
    if a.to is not None and a.to not in (ASSIGNED_TO, "contact") and "@" not in a.to:
        problems.append(f"{at} › to: {a.to!r} is neither {ASSIGNED_TO}, 'contact' nor an email address")
    if a.field is not None and a.value is not None:
        problems += _value_problems(f"{at} › value", a.field, a.value, stages, users)
    problems += [p for user in a.users or () for p in not_a_user(at, "users", user, users)]
    problems += _assign_problems(at, a) + _notify_problems(at, a, users)
    if a.endpoint is not None and a.endpoint not in endpoints:
        problems.append(f"{at} › endpoint: {a.endpoint!r} is no webhook endpoint of the organisation (its id or "
                        "URL, as `relance webhook list` shows it; register it first)")
    if a.do == "wait" and a.days is None and a.at is None:
        problems.append(f"{at} › days: wait needs days, at (a time of day), or both")
    if a.do == "wait" and a.condition is not None:
        problems += conditions.problems(a.condition, f"{at} › condition", condition_vocabulary(list(stages)))
    for shortcode_field in ("title", "text", "name"):
        value = getattr(a, shortcode_field)
        if value and "[[" in value:
            problems.append(f"{at} › {shortcode_field}: shortcodes are for templates; {value!r} would be sent as is")
    return problems


def _assign_problems(at: str, a: AutomationIn) -> list[str]:
    """Round robin needs its users; by account owner takes none."""
    if a.do != "assign":
        return []
    if a.by == "account_owner" and a.users is not None:
        return [f"{at} › users: assign by account_owner does not use them (the account's owner is assigned)"]
    if a.by != "account_owner" and a.users is None:
        return [f"{at} › users: assign in turn (round_robin) needs them"]
    return []


def _notify_problems(at: str, a: AutomationIn, users: Container[str]) -> list[str]:
    if a.user is None or a.user == ASSIGNED_TO or a.user in users:
        return []
    return [f"{at} › user: {a.user!r} is neither {ASSIGNED_TO} nor a user of the organisation"]


def _value_problems(at: str, name: str, value: str, stages: Container[str], users: Container[str]) -> list[str]:
    """update_field: the value must be one the field can take (checked when saved, not when it runs)."""
    if name == "stage" and value not in stages:
        return [f"{at}: unknown stage {value!r}"]
    if name == "result" and value not in RESULTS:
        return [f"{at}: {value!r} is not a result ({', '.join(RESULTS)})"]
    if name == "amount" and not re.fullmatch(r"\d{1,10}(\.\d{1,2})?", value):
        return [f"{at}: {value!r} is not an amount (like 12000 or 12000.50)"]
    if name == "close_date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return [f"{at}: {value!r} is not a date YYYY-MM-DD"]
    if name == "salesperson" and value != ASSIGNED_TO and value not in users:
        return [f"{at}: {value!r} is not a user of the organisation"]
    return []


def rule_problems(at: str, rule: RuleIn, stages: list[str], **known) -> list[str]:
    t = rule.trigger
    problems = [f"{at} › trigger.{_SHOWN.get(n, n)}: trigger {t.when} needs it" for n in TRIGGER_NEEDS[t.when]
                if getattr(t, n) is None]
    problems += [f"{at} › trigger.{_SHOWN.get(n, n)}: trigger {t.when} does not use it" for n in _TRIGGER_FIELDS
                 if n not in (*TRIGGER_NEEDS[t.when], *TRIGGER_MAY.get(t.when, ())) and getattr(t, n) is not None]
    for name in ("stage", "from_stage", "to_stage"):
        value = getattr(t, name)
        if value is not None and value not in stages:
            problems.append(f"{at} › trigger.{_SHOWN.get(name, name)}: unknown stage {value!r} (stages: "
                            f"{', '.join(stages)})")
    if t.when == "stage_change" and t.from_stage is not None and t.from_stage == t.to_stage:
        problems.append(f"{at} › trigger.to: the same stage as from ({t.to_stage!r})")
    if t.type is not None and t.type not in known["types"]:
        problems.append(f"{at} › trigger.type: unknown action type {t.type!r}")
    if rule.condition is not None:
        problems += conditions.problems(rule.condition, f"{at} › condition", condition_vocabulary(stages))
    for position, a in enumerate(rule.automations, start=1):
        problems += automation_problems(f"{at} › automation {position} ({a.do})", a, stages=stages, **known)
    return problems


def pipeline_problems(org: OrganisationIn, templates: set[str], users: set[str], accounts: set[str],
                      contacts: Mapping[str, str], scenarios: set[str], stored_stages: Mapping[str, list[str]],
                      stored_types: set[str], endpoints: Container[str] = ()) -> list[str]:
    """Cross-record checks of the pipeline section (the records it names are in the file or stored: a
    process's stages are the file's and the stored ones it leaves out)."""
    where = f"organisation {org.slug!r} › pipeline"
    p = org.pipeline
    types = {t.key for t in p.action_types} | stored_types
    problems: list[str] = []
    stages_of = dict(stored_stages)
    for process in p.processes:
        at = f"{where} › process {process.key!r}"
        given = [s.key for s in process.stages]
        stages_of[process.key] = given + [s for s in stored_stages.get(process.key, []) if s not in given]
        problems += _repeats(at, "stage", given) + _repeats(at, "rule", [r.key for r in process.rules])
        for rule in process.rules:
            problems += rule_problems(f"{at} › rule {rule.key!r}", rule, stages_of[process.key], types=types,
                                      templates=templates, users=users, scenarios=scenarios,
                                      endpoints=endpoints)
    for o in p.opportunities:
        at = f"{where} › opportunity {o.ref!r}"
        if o.process not in stages_of:
            problems.append(f"{at} › process: unknown process {o.process!r}")
        elif o.stage not in stages_of[o.process]:
            problems.append(f"{at} › stage: unknown stage {o.stage!r} of process {o.process!r}")
        problems += not_a_user(at, "assigned_to", o.assigned_to, users)
        problems += unknown(at, "account", o.account, accounts)
        problems += unknown(at, "contact", o.contact, contacts)
        if o.contact is not None and o.account is not None and contacts.get(o.contact) not in (None, o.account):
            problems.append(f"{at} › contact: contact {o.contact!r} is not of account {o.account!r}")
    problems += _repeats(where, "process", [x.key for x in p.processes])
    problems += _repeats(where, "action type", [t.key for t in p.action_types])
    problems += _repeats(where, "opportunity", [o.ref for o in p.opportunities])
    return problems


def _repeats(at: str, kind: str, keys: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
    return [f"{at} › {kind} {key!r}: appears {n} times" for key, n in sorted(seen.items()) if n > 1]


def rule_content(rule: RuleIn) -> dict:
    """What a version is made of (a change to any of it is a new version)."""
    return {"name": rule.name, "enabled": rule.enabled,
            "trigger": rule.trigger.model_dump(exclude_none=True, by_alias=False),
            "condition": conditions.normalised(rule.condition) if rule.condition is not None else None,
            "automations": [a.model_dump(exclude_none=True, exclude_defaults=True) | {"do": a.do}
                            | ({"condition": conditions.normalised(a.condition)} if a.condition else {})
                            for a in rule.automations]}


async def write_rule(session: AsyncSession, org: Organisation, process: SalesProcess, rule: RuleIn) -> PipelineRule:
    """A rule's name and switch left out keep the latest version's."""
    latest = (await session.exec(select(PipelineRule).where(
        PipelineRule.process_id == process.id, PipelineRule.key == rule.key)
        .order_by(PipelineRule.version.desc()))).first()
    content = rule_content(rule)
    if latest is not None:
        content |= {name: getattr(latest, name) for name in ("name", "enabled") if name not in rule.model_fields_set}
        if {name: getattr(latest, name) for name in content} == content:
            rows.unchanged(session, latest)
            return latest
    row = PipelineRule(org_id=org.id, process_id=process.id, key=rule.key,
                       version=latest.version + 1 if latest else 1, **content)
    rows.versioned(session, row, f"{process.key}/{rule.key}", latest.version if latest else None)
    session.add(row)
    await session.flush()
    return row


async def write_pipeline(session: AsyncSession, org: Organisation, p: PipelineIn, users: dict,
                         accounts: dict, contacts: dict, count) -> None:
    """An opportunity's state is written only when it is new: after that its events change it (an import
    never fires a rule, and never moves one). A name left out keeps the stored one."""
    for t in p.action_types:
        await upsert(session, ActionType, {"org_id": org.id, "key": t.key}, dict(name=t.name or t.key), named(t))
        count("action types")
    processes = {}
    for x in p.processes:
        processes[x.key], _ = await upsert(session, SalesProcess, {"org_id": org.id, "key": x.key}, dict(name=x.name))
        for position, s in enumerate(x.stages):
            await upsert(session, ProcessStage, {"process_id": processes[x.key].id, "key": s.key},
                         dict(name=s.name or s.key, position=position), named(s) | {"position"})
        for rule in x.rules:
            await write_rule(session, org, processes[x.key], rule)
            count("rules")
        count("processes")
    for o in p.opportunities:
        existing = (await session.exec(select(Opportunity).where(Opportunity.org_id == org.id,
                                                                 Opportunity.ref == o.ref))).first()
        links = dict(name=o.name, account_id=accounts[o.account].id if o.account else None,
                     contact_id=contacts[o.contact].id if o.contact else None, amount=o.amount,
                     close_on=o.close_on, custom=o.custom)
        given = named(o, {"account": ("account_id",), "contact": ("contact_id",)})
        if existing is None:
            process = processes.get(o.process) or (await session.exec(select(SalesProcess).where(
                SalesProcess.org_id == org.id, SalesProcess.key == o.process))).one()
            await upsert(session, Opportunity, {"org_id": org.id, "ref": o.ref}, dict(
                **links, process_id=process.id, stage_key=o.stage, result=o.result,
                assigned_user_id=users[o.assigned_to].id if o.assigned_to else None, tags=sorted(set(o.tags))))
        else:
            await upsert(session, Opportunity, {"org_id": org.id, "ref": o.ref}, links, given)
        count("opportunities")

