"""Test data written in the import format, so tests load it through the real importer."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal  # noqa: F401  (re-exported for tests)

from relance.db import Database
from starter.importing import import_data

SENDER = "compta@example.com"

TEMPLATES = [
    {"key": "rappel", "name": "Rappel", "subject": "Rappel facture [[!Number]]",
     "body": "Bonjour [[!GENDERANDNAME]], la facture [[!Number]] arrive à échéance le [[!DueDate]]."},
    {"key": "first", "name": "Première relance", "subject": "Facture [[!Number]] impayée",
     "body": "Bonjour [[!GENDERANDNAME]], reste dû : [[!AmountDue]] (total [[!AmountTtc]]) au [[!NOW]]."},
    {"key": "second", "name": "Deuxième relance", "subject": "Deuxième relance [[!Number]]",
     "body": "Bonjour [[!GENDERANDNAME]], la facture [[!Number]] du [[!InvoiceDate]] reste due : [[!AmountDue]]."},
    {"key": "renewal", "name": "Renouvellement", "subject": "Contrat [[!ContractRef]] : renouvellement le [[!TermEnd]]",
     "body": "Bonjour [[!GENDERANDNAME]], le contrat [[!ContractRef]] de [[!Customer]] se renouvelle le [[!TermEnd]]"
             "{% if ContractAmount %} pour [[!ContractAmount]]{% endif %}. Le [[!NOW]]."},
]

RENEWALS = {"enabled": True, "alert_days": 10, "template": "renewal", "sender": SENDER}

# The default scenario of the demo: 90 days from the first reminder to the phone call.
DEFAULT_STEPS = [
    {"kind": "email", "label": "Rappel", "offset_days": -3, "template": "rappel"},
    {"kind": "email", "label": "Première relance", "offset_days": 10, "template": "first"},
    {"kind": "pause", "label": "Pause", "days": 20},
    {"kind": "email", "label": "Deuxième relance", "template": "second"},
    {"kind": "pause", "label": "Pause", "days": 60},
    {"kind": "action", "label": "Appel", "task": {"title": "Appeler le client", "due_in_days": 7}},
]

ONE_REMINDER = [{"kind": "email", "label": "Relance", "offset_days": 10, "template": "first"}]

BASE_ORG = {
    "slug": "acme",
    "name": "ACME SARL",
    "timezone": "Europe/Paris",
    "locale": "fr_FR",
    "holiday_country": "none",
    "dunning": {"enabled": True, "send_window": ["00:00", "23:59:59"], "send_days": "mon-sun", "scenario": "default",
                "sender": SENDER},
    "users": [{"email": SENDER, "first_name": "Claire", "last_name": "Martin"}],
    "templates": TEMPLATES,
    "scenarios": [{"key": "default", "name": "Relances", "steps": DEFAULT_STEPS}],
    "accounts": [
        {"ref": "C1", "name": "Dupont SA", "email": "account@dupont.example.org",
         "contacts": [{"ref": "C1-billing", "civility": "M.", "first_name": "Jean", "last_name": "Dupont",
                       "email": "billing@dupont.example.org", "billing": True}]},
    ],
    "invoices": [],
}


def org(steps: list | None = None, **overrides) -> dict:
    data = copy.deepcopy(BASE_ORG)
    if steps is not None:
        data["scenarios"][0]["steps"] = steps
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


def invoice(number: str = "F-1", due: date | str = "today-20", **fields) -> dict:
    return {"number": number, "account": "C1", "invoice_date": "today-50",
            "due_date": due.isoformat() if isinstance(due, date) else due,
            "amount_excl_tax": "1000.00", "amount_incl_tax": "1200.00", **fields}


async def load(db: Database, organisation: dict, today: date):
    return await import_data(db, {"organisations": [organisation]}, "test data", today)


def contract(ref: str = "CT-1", start: date | str = "today-85", period: str = "quarterly", **fields) -> dict:
    return {"ref": ref, "account": "C1", "billing_contact": "C1-billing",
            "start_date": start.isoformat() if isinstance(start, date) else start, "period": period, **fields}


# Marketing (relance.marketing): a welcome scenario on the contact's and account's merge fields.
MARKETING_TEMPLATES = [
    {"key": "welcome", "name": "Bienvenue", "subject": "Bienvenue [[!FirstName]]",
     "body": "Bonjour [[!GENDERANDNAME]], merci de votre confiance ([[!AccountName]])."},
    {"key": "tips", "name": "Conseils", "subject": "Trois conseils pour [[!AccountName]]",
     "body": "Bonjour [[!FirstName]], voici nos conseils. Se désinscrire : [[!UnsubscribeUrl]]"},
]
WELCOME_STEPS = [
    {"kind": "email", "label": "Bienvenue", "template": "welcome"},
    {"kind": "pause", "label": "Pause", "days": 3},
    {"kind": "email", "label": "Conseils", "template": "tips"},
]


def marketing_org(slug: str, steps: list | None = None, **scenario) -> dict:
    """BASE_ORG with the welcome scenario and the contact C1-billing tagged 'newsletter'."""
    data = org(slug=slug, templates=TEMPLATES + MARKETING_TEMPLATES)
    data["marketing_scenarios"] = [{"key": "welcome", "name": "Bienvenue", "steps": steps or WELCOME_STEPS,
                                    **scenario}]
    data["accounts"][0]["contacts"][0]["tags"] = ["newsletter"]
    return data
