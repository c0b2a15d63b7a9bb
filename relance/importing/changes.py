"""What an import changed (or, in a dry run, would change): by organisation and section, the records
created, those updated with each field's value before and after, and how many were already so."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHOWN = 20  # records named per section and kind in the CLI's lines; the rest are counted
# Each table written, by the file's name for it.
SECTIONS = {"organisation": "settings", "renewalsettings": "renewals", "appuser": "users", "emailtemplate": "templates",
            "scenario": "scenarios", "account": "accounts", "contact": "contacts", "invoice": "invoices",
            "payment": "payments", "contract": "contracts", "emailcampaign": "campaigns",
            "actiontype": "pipeline.action_types", "salesprocess": "pipeline.processes",
            "processstage": "pipeline.stages", "pipelinerule": "pipeline.rules",
            "opportunity": "pipeline.opportunities", "agency": "agencies", "agencystaff": "agencies.staff",
            "agencykindsetting": "agencies.kinds", "agencytemplate": "agencies.templates",
            "property": "agencies.properties", "booking": "agencies.bookings", "bookingpayment": "agencies.payments"}


@dataclass
class SectionChanges:
    created: list[str] = field(default_factory=list)
    updated: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)  # record -> field -> (before, after)
    unchanged: int = 0


@dataclass
class Changes:
    organisation: str = ""  # the organisation being written: the sections recorded from now on are its
    sections: dict[tuple[str, str], SectionChanges] = field(default_factory=dict)

    def of(self, table: str) -> SectionChanges:
        return self.sections.setdefault((self.organisation, SECTIONS.get(table, table)), SectionChanges())

    @property
    def changed(self) -> bool:
        return any(s.created or s.updated for s in self.sections.values())


def shown(value: Any) -> Any:
    """A value as JSON and the CLI show it: null, true/false and numbers as they are, the rest as text."""
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def as_json(changes: Changes) -> list[dict]:
    return [{"organisation": org, "section": section, "created": s.created, "updated": {
                record: {name: {"before": shown(before), "after": shown(after)} for name, (before, after) in f.items()}
                for record, f in s.updated.items()}, "unchanged": s.unchanged}
            for (org, section), s in sorted(changes.sections.items())]


def _value(value: Any) -> str:
    return "null" if value is None else repr(shown(value)) if isinstance(shown(value), str) else str(shown(value))


def lines(changes: Changes) -> list[str]:
    """A line per section that changes, then one per record changed in it (the first few); one line for
    the sections that stay as they are."""
    out = []
    untouched: dict[str, list[str]] = {}
    for (org, section), s in sorted(changes.sections.items()):
        if not (s.created or s.updated):
            untouched.setdefault(org, []).append(f"{section} {s.unchanged}")
            continue
        out.append(f"{org} › {section}: {len(s.created)} created, {len(s.updated)} updated, {s.unchanged} unchanged")
        out += [f"  + {record}" for record in s.created[:SHOWN]]
        out += [f"  ~ {record}: " + ", ".join(f"{name}: {_value(before)} -> {_value(after)}"
                                              for name, (before, after) in fields.items())
                for record, fields in list(s.updated.items())[:SHOWN]]
        hidden = max(len(s.created) - SHOWN, 0) + max(len(s.updated) - SHOWN, 0)
        if hidden:
            out.append(f"  … and {hidden} more")
    return out + [f"{org} › unchanged: {', '.join(sections)}" for org, sections in untouched.items()]
