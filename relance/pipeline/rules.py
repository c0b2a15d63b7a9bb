"""The business rules of the pipeline (SPEC C) as pure functions: the transitions an event makes from
the state relance knows, the rules they fire, the loop guard, what an automation would do, due dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from models import Organisation
from relance import calendar, conditions
from relance.importing.format import TIME_TRIGGERS, condition_vocabulary
from relance.opening import holidays_of
from relance.pipeline.types import MAX_CAUSE_DEPTH, EventKind, Moment, OppEvent

FINAL_RESULTS = ("won", "lost", "dormant")
# update_field: the field a rule may set -> the event field it becomes (the salesperson: a user's address).
UPDATABLE = {"stage": "stage", "result": "result", "amount": "amount", "close_date": "close_on",
             "salesperson": "assigned_user_id"}
CLOSE_DATE_TIME = time(9)  # a close date's triggers are due at 09:00 in the organisation's zone


@dataclass(frozen=True)
class Timing:
    """What time triggers are computed from: the opportunity as it is now, its organisation's zone and
    open days."""

    stage: str
    result: str
    stage_since: datetime | None
    result_since: datetime | None
    close_on: date | None
    tz: str
    opening: calendar.Opening


@dataclass(frozen=True)
class Transition:
    """What changed, in the vocabulary of the triggers."""

    on: str
    result: str | None = None
    stage: str | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    type: str | None = None
    moment: str | None = None  # a time trigger's: what fired it (time_key)

    def __str__(self) -> str:
        if self.moment is not None:
            return self.moment
        detail = {"result": self.result, "enters_stage": self.stage, "quote_sent": "", "quote_reopened": "",
                  "stage_change": f"{self.from_stage} → {self.to_stage}", "action_created": self.type,
                  "action_closed": self.type}[self.on]
        return f"{self.on} {detail}".strip()


@dataclass(frozen=True)
class Before:
    """What relance knew before the event: the opportunity's stage and result, the quote's and the
    action's state (None: relance had never heard of it)."""

    stage: str
    result: str
    quote_state: str | None = None
    action_state: str | None = None


def transitions(before: Before, event: OppEvent) -> list[Transition]:
    """Only real changes: the same state saved again makes none."""
    c = event.changes
    if event.kind == EventKind.OPPORTUNITY:
        found = []
        stage = c.get("stage")
        if stage is not None and stage != before.stage:
            found += [Transition("enters_stage", stage=stage),
                      Transition("stage_change", from_stage=before.stage, to_stage=stage)]
        result = c.get("result")
        if result is not None and result != before.result and result in FINAL_RESULTS:
            found.append(Transition("result", result=result))
        return found
    if event.kind == EventKind.QUOTE:
        state = c["quote_state"]
        if state == before.quote_state:
            return []
        return [Transition("quote_sent" if state == "sent" else "quote_reopened")]
    kind = c["action_type"]
    state = c.get("action_state", "open")
    found = [Transition("action_created", type=kind)] if before.action_state is None else []
    if state == "closed" and before.action_state != "closed":
        found.append(Transition("action_closed", type=kind))
    return found


def matches(trigger: dict, transition: Transition) -> bool:
    if trigger.get("when") in TIME_TRIGGERS:  # exactly its own moments: 14 days is not 14 open days
        return transition.moment == time_key(trigger)
    return trigger.get("when") == transition.on and all(
        getattr(transition, name) == value for name, value in trigger.items() if name != "when")


_VOCABULARY = condition_vocabulary()  # what conditions name, for evaluating and saying them (built once)


def condition_verdict(condition: dict | None, snapshot: dict, lang: str = "en") -> conditions.Verdict | None:
    """Whether a rule's condition holds on an event's snapshot, and why (None: the rule has none)."""
    if condition is None:
        return None
    return conditions.evaluate(condition, snapshot, _VOCABULARY, lang)


def condition_text(condition: dict | None, lang: str = "en") -> str | None:
    return None if condition is None else conditions.sentence(condition, _VOCABULARY, lang)


def loop_stop(rule_key: str, cause: list[str]) -> str | None:
    """Why a rule must not fire on an event (None: it fires): a chain of caused events deeper than the
    limit, or the rule firing again on an event its own automations caused."""
    if rule_key in cause:
        return f"loop stopped: rule {rule_key!r} would fire on an event it caused (chain: {' → '.join(cause)})"
    if len(cause) >= MAX_CAUSE_DEPTH:
        return f"loop stopped: chain of {len(cause)} caused events reaches the limit of {MAX_CAUSE_DEPTH} " \
               f"({' → '.join(cause)})"
    return None


def describe(automation: dict) -> str:
    """What an automation does, in one line (dry run, timeline, UI summaries)."""
    a = automation
    kind = a["do"]
    if kind == "create_action":
        days = a.get("due_in_days", 0)
        unit = "business days" if a.get("business_days") else "days"
        return f"create the action {a['title']!r} (type {a['type']}) for {a['assignee']}, due " + \
            ("today" if days == 0 else f"in {days} {unit}")
    if kind == "notify":
        if a.get("user"):
            return f"notify {a['user']} of {a['text']!r} (a task or an email, as they chose)"
        return f"post {a['text']!r} on the opportunity's feed"
    if kind == "enrol":
        return f"add the contact to marketing scenario {a['scenario']!r}"
    if kind == "unenrol":
        return f"remove the contact from marketing scenario {a['scenario']!r}"
    if kind == "send_email":
        return f"email template {a['template']!r} from {a['sender']} to {a['to']}" + \
            (f" with the document {a['document_url']}" if a.get("document_url") else "") + \
            (f" attaching {', '.join(a['attach'])}" if a.get("attach") else "")
    if kind == "add_tag":
        return f"tag the opportunity {a['tag']!r}"
    if kind == "remove_tag":
        return f"remove the tag {a['tag']!r}"
    if kind == "update_field":
        return f"set the {a['field'].replace('_', ' ')} to {a['value']}"
    if kind == "wait":
        when = [f"{a['days']} days"] if a.get("days") else []
        when += [f"until {a['at']}"] if a.get("at") else []
        return f"wait {', '.join(when)}" + (f", then go on only if {condition_text(a['condition'])}"
                                            if a.get("condition") else "")
    if kind == "assign":
        if a.get("by") == "account_owner":
            return "assign the opportunity to its account's owner"
        return f"assign the opportunity in turn to {', '.join(a['users'])}"
    if kind == "call_host":
        return f"call the host: signed POST of the event to webhook endpoint {a['endpoint']}"
    return f"create the email campaign draft {a['name']!r} (template {a['template']!r}) for the contact"


def fields_text(fields: dict) -> str:
    """An event's or a trigger's fields as a person reads them ("stage=R2, result=won"), not a Python dict."""
    return ", ".join(f"{name}={value}" for name, value in fields.items())


def trigger_text(trigger: dict) -> str:
    """What fires a rule: "enters_stage (stage=R2)", "result=won" where the condition names the trigger,
    "days_in_stage (10 business days, stage=R2)" for a time trigger."""
    when = trigger["when"]
    conditions = {name: value for name, value in trigger.items() if name not in ("when", "days", "business_days")}
    if "days" in trigger:
        days = f"{trigger['days']} {'business days' if trigger.get('business_days') else 'days'}"
        return f"{when} ({', '.join([days, *([fields_text(conditions)] if conditions else [])])})"
    if list(conditions) == [when]:
        return fields_text(conditions)
    return when + (f" ({fields_text(conditions)})" if conditions else "")


def open_days(org: Organisation) -> calendar.Opening:
    """Business days: Monday to Friday but the organisation's public holidays (its send days are for email)."""
    country, subdivision = holidays_of(org)
    return calendar.Opening(weekdays=calendar.WORKING_DAYS, country=country, subdivision=subdivision)


def due_on(today: date, days: int, business_days: bool, opening: calendar.Opening) -> date:
    """`days` after today in the organisation's zone (0 = today); in business days, open days only
    (weekdays and public holidays of the organisation), and a due date never falls on a closed day."""
    if not business_days:
        return today + timedelta(days=days)
    day, left = today, days
    while left > 0 or not calendar.is_open_day(day, opening):
        day += timedelta(days=1)
        if calendar.is_open_day(day, opening):
            left -= 1
    return day


def time_key(trigger: dict) -> str:
    """A time trigger in words, the same for every rule with the same one: "days_in_stage 14 open days R2"."""
    unit = "open days" if trigger.get("business_days") else "days"
    scope = trigger.get("stage") or trigger.get("result") or ""
    return f"{trigger['when']} {trigger['days']} {unit} {scope}".strip()


def moment(trigger: dict, timing: Timing) -> Moment | None:
    """When a time trigger is due for the opportunity as it is (None: it does not apply now). Its event
    id names the trigger and its anchor (the time it entered its stage, its close date, the time of its
    result): a change of anchor is a new moment, the same anchor never fires twice."""
    when, days, business = trigger["when"], trigger["days"], bool(trigger.get("business_days"))
    if when == "days_in_stage":
        if timing.result != "open" or timing.stage_since is None or trigger.get("stage") not in (None, timing.stage):
            return None
        anchor = timing.stage_since
    elif when == "days_after_result":
        if timing.result != trigger["result"] or timing.result_since is None:
            return None
        anchor = timing.result_since
    else:
        if timing.result != "open" or timing.close_on is None:
            return None
        anchor = calendar.at_local(timing.close_on, CLOSE_DATE_TIME, timing.tz)
    sign = -1 if when == "days_before_close" else 1
    due = shifted(anchor, sign * days, business, timing)
    key = time_key(trigger)
    return Moment(f"time:{key.replace(' ', ':')}:{anchor.isoformat()}", due,
                  {"when": when, "moment": key, "anchor": anchor.isoformat()}, key)


def shifted(anchor: datetime, days: int, business: bool, timing: Timing) -> datetime:
    """`days` later (earlier when negative) at the same wall time in the zone; in open days, counting only
    the organisation's open days."""
    if not business:
        return calendar.add_days(anchor, days, timing.tz)
    local = calendar.in_zone(anchor, timing.tz)
    day, left, step = local.date(), abs(days), 1 if days >= 0 else -1
    while left > 0:
        day += timedelta(days=step)
        if calendar.is_open_day(day, timing.opening):
            left -= 1
    return calendar.at_local(day, local.time().replace(tzinfo=None), timing.tz)


def wait_until(now: datetime, days: int | None, at: str | None, tz: str) -> datetime:
    """The end of a wait started at `now`: `days` later at the same wall time, then the next `at` (HH:MM)
    in the zone, that day or the next."""
    end = calendar.add_days(now, days or 0, tz)
    if at is None:
        return end
    hour, minute = (int(part) for part in at.split(":"))
    local = calendar.in_zone(end, tz)
    moment = calendar.at_local(local.date(), time(hour, minute), tz)
    return moment if moment >= end else calendar.at_local(local.date() + timedelta(days=1), time(hour, minute), tz)
