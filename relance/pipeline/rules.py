"""The business rules of the pipeline (SPEC C) as pure functions: the transitions an event makes from
the state relance knows, the rules they fire, the loop guard, what an automation would do, due dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from relance import calendar
from relance.pipeline.types import MAX_CAUSE_DEPTH, EventKind, OppEvent

FINAL_RESULTS = ("won", "lost", "dormant")


@dataclass(frozen=True)
class Transition:
    """What changed, in the vocabulary of the triggers."""

    on: str
    result: str | None = None
    stage: str | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    type: str | None = None

    def __str__(self) -> str:
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
    return trigger.get("when") == transition.on and all(
        getattr(transition, name) == value for name, value in trigger.items() if name != "when")


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
    return f"create the email campaign draft {a['name']!r} (template {a['template']!r}) for the contact"


def fields_text(fields: dict) -> str:
    """An event's or a trigger's fields as a person reads them ("stage=R2, result=won"), not a Python dict."""
    return ", ".join(f"{name}={value}" for name, value in fields.items())


def trigger_text(trigger: dict) -> str:
    """What fires a rule: "enters_stage (stage=R2)", or "result=won" where the condition names the trigger."""
    when = trigger["when"]
    conditions = {name: value for name, value in trigger.items() if name != "when"}
    if list(conditions) == [when]:
        return fields_text(conditions)
    return when + (f" ({fields_text(conditions)})" if conditions else "")


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
