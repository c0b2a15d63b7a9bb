"""The merge fields every email has, whatever its domain: who it goes to, and today."""

from __future__ import annotations

from datetime import date

from relance.email.recipient import Recipient
from relance.email.rendering import day

FIELDS = {
    "GENDERANDNAME": "civility and name of the recipient",
    "NOW": "today's date",
}


def values(recipient: Recipient | None, today: date, locale: str) -> dict[str, str]:
    name = " ".join(p for p in (recipient.civility, recipient.name) if p) if recipient else ""
    return {"GENDERANDNAME": name, "NOW": day(today, locale)}
