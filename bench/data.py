"""Generated organisations in the import format, loaded through the real importer."""

from __future__ import annotations

from datetime import date

from relance.db import Database
from starter.importing import import_data

# Invoices per imported file: under the importer's 5,000 records a file (relance/limits.py), as a host
# splits a big sync.
BATCH = 4_000

SENDER = "bench@example.com"

ONE_REMINDER = [{"kind": "email", "label": "Relance", "offset_days": 10, "template": "fr/first_reminder"}]

# The demo's default scenario: 90 days from the first reminder to the phone call.
DEFAULT_SCENARIO = [
    {"kind": "email", "label": "Rappel", "offset_days": -3, "template": "fr/rappel"},
    {"kind": "email", "label": "Première relance", "offset_days": 10, "template": "fr/first_reminder"},
    {"kind": "pause", "label": "Pause", "days": 20},
    {"kind": "email", "label": "Deuxième relance", "template": "fr/second_reminder"},
    {"kind": "pause", "label": "Pause", "days": 60},
    {"kind": "action", "label": "Appel", "task": {"title": "Appeler le client", "due_in_days": 7}},
]


def organisation(slug: str, invoices: int, due: str, steps: list[dict], apply_to_new: bool = False,
                 window: tuple[str, str] = ("00:00", "23:59:59")) -> dict:
    """One sender, ten customers, `invoices` invoices all due on `due` ("today-20", a date...).
    The default send window is the whole day, every day, so a reminder goes as soon as its step is due."""
    return {
        "slug": slug, "name": f"Bench {slug}", "timezone": "Europe/Paris", "locale": "fr_FR", "holiday_country": "none",
        "dunning": {"enabled": True, "apply_to_new_invoices": apply_to_new, "send_window": list(window),
                    "send_days": "mon-sun", "scenario": "default", "sender": SENDER},
        "users": [{"email": SENDER, "first_name": "Claire", "last_name": "Martin"}],
        "scenarios": [{"key": "default", "name": "Bench", "steps": steps}],
        "accounts": [
            {"ref": f"C{a}", "name": f"Client {a}", "email": f"compta@client{a}.example.org",
             "contacts": [{"ref": f"C{a}-1", "civility": "Mme", "first_name": "Ann", "last_name": f"Client{a}",
                           "email": f"billing@client{a}.example.org", "billing": True}]}
            for a in range(10)
        ],
        "invoices": [
            {"number": f"B-{i:06d}", "account": f"C{i % 10}", "invoice_date": "today-50", "due_date": due,
             "amount_excl_tax": "1000.00", "amount_incl_tax": "1200.00"}
            for i in range(invoices)
        ],
    }


def files(organisation: dict) -> list[dict]:
    """`organisation` as a host sends a big sync: files of at most BATCH accounts, contacts, invoices and
    opportunities, the first with everything else, the next naming only the organisation and, for a contact,
    its account's ref (an import adds what it names; references reach what earlier files stored)."""
    units: list[tuple[str, object]] = []
    for account in organisation.get("accounts", []):
        units.append(("account", {k: v for k, v in account.items() if k != "contacts"}))
        units += [("contact", (account["ref"], contact)) for contact in account.get("contacts", [])]
    units += [("invoice", invoice) for invoice in organisation.get("invoices", [])]
    pipeline = organisation.get("pipeline", {})
    units += [("opportunity", opportunity) for opportunity in pipeline.get("opportunities", [])]
    head = {k: v for k, v in organisation.items() if k not in ("accounts", "invoices", "pipeline")}
    if pipeline:
        head["pipeline"] = {k: v for k, v in pipeline.items() if k != "opportunities"}
    chunks = [units[i:i + BATCH] for i in range(0, len(units), BATCH)] or [[]]
    return [_file(head if n == 0 else {"slug": organisation["slug"]}, chunk) for n, chunk in enumerate(chunks)]


def _file(head: dict, chunk: list[tuple[str, object]]) -> dict:
    accounts: dict[str, dict] = {}
    invoices, opportunities = [], []
    for kind, item in chunk:
        if kind == "account":
            accounts[item["ref"]] = {**item, "contacts": []}
        elif kind == "contact":
            ref, contact = item
            accounts.setdefault(ref, {"ref": ref, "contacts": []})["contacts"].append(contact)
        elif kind == "invoice":
            invoices.append(item)
        else:
            opportunities.append(item)
    body = {**head, "accounts": list(accounts.values()), "invoices": invoices}
    if opportunities or "pipeline" in head:
        body["pipeline"] = {**head.get("pipeline", {}), "opportunities": opportunities}
    return body


async def load(db: Database, organisation: dict, today: date, source: str = "bench") -> None:
    """Import `organisation` through the real importer, in files under its limits (`files`)."""
    for body in files(organisation):
        await import_data(db, {"organisations": [body]}, source, today)
