"""A sales process in the import format: seed 004's two examples (an administrative action when an
opportunity is won; an email with a document link to the salesperson when it enters stage R2)."""

from __future__ import annotations

import copy

from tests import factories as f

SALESPERSON = "paul@example.com"
ADMIN = "adv@example.com"
OPP = "OPP-1"
R2_TEMPLATE = {"key": "r2-docs", "name": "Passage en R2", "subject": "[[!OpportunityName]] est en [[!Stage]]",
               "body": "Bonjour [[!AssignedToName]], la fiche à remplir avec [[!AccountName]] : [[!DocumentUrl]]"}
WON_ADMIN = {"key": "won-admin", "name": "Gagnée : administration des ventes",
             "trigger": {"when": "result", "result": "won"},
             "automations": [{"do": "create_action", "type": "administrative",
                              "title": "Nouvelle opportunité gagnée - Gestion de la commande",
                              "assignee": ADMIN, "due_in_days": 0}]}
R2_EMAIL = {"key": "r2-email", "name": "R2 : fiche au commercial", "trigger": {"when": "enters_stage", "stage": "R2"},
            "automations": [{"do": "send_email", "to": "[[!AssignedToId]]", "sender": f.SENDER, "template": "r2-docs",
                             "document_url": "https://docs.example.com/fiche-r2.pdf"}]}


def pipeline_org(slug: str, rules: list[dict] | None = None, **opportunity) -> dict:
    data = f.marketing_org(slug)
    data["users"] += [{"email": SALESPERSON, "first_name": "Paul", "last_name": "Vendeur"},
                      {"email": ADMIN, "first_name": "Anne", "last_name": "Adv"}]
    data["templates"] = data["templates"] + [R2_TEMPLATE]
    data["pipeline"] = {
        "action_types": [{"key": "call", "name": "Appel"}, {"key": "meeting", "name": "Rendez-vous"},
                         {"key": "administrative", "name": "Administratif"}],
        "processes": [{"key": "sales", "name": "Ventes", "stages": [{"key": "R1"}, {"key": "R2"}, {"key": "R3"}],
                       "rules": copy.deepcopy(rules if rules is not None else [WON_ADMIN, R2_EMAIL])}],
        "opportunities": [{"ref": OPP, "name": "Dupont CRM", "process": "sales", "stage": "R1",
                           "assigned_to": SALESPERSON, "account": "C1", "contact": "C1-billing", "amount": "12000",
                           **opportunity}],
    }
    return data


def rule(key: str, trigger: dict, *automations: dict) -> dict:
    return {"key": key, "trigger": trigger, "automations": list(automations)}
