"""The business rules of marketing (SPEC C) as pure functions: when an enrolment exits, who receives.

exit_reason is the one re-check before every step and at enrolment. A suppressed address (a hard bounce
or a complaint: marketing is never a legal notice) is one of its facts, read in repository.contact_file."""

from __future__ import annotations

from dataclasses import dataclass, replace

from models import Contact, Scenario
from relance.email.recipient import Recipient, recipient_from
from relance.marketing.types import ExitReason


@dataclass(frozen=True)
class ContactFacts:
    """What decides whether a contact stays in a scenario, read in one query."""

    contact_exists: bool
    contact_deleted: bool
    opted_out: bool
    scenario_enabled: bool
    suppressed: bool = False

    @classmethod
    def of(cls, contact: Contact | None, scenario: Scenario | None, suppressed: bool = False) -> ContactFacts:
        return cls(contact_exists=contact is not None,
                   contact_deleted=contact is not None and contact.deleted_at is not None,
                   opted_out=contact is not None and contact.opted_out,
                   scenario_enabled=scenario is not None and scenario.enabled, suppressed=suppressed)


def exit_reason(facts: ContactFacts) -> ExitReason | None:
    """None: the contact stays in the scenario. The contact's own state comes first: it ends every
    scenario it is in, not only a switched-off one."""
    if not facts.contact_exists or facts.contact_deleted:
        return ExitReason.CONTACT_DELETED
    if facts.opted_out:
        return ExitReason.OPTED_OUT
    if facts.suppressed:
        return ExitReason.ADDRESS_SUPPRESSED
    if not facts.scenario_enabled:
        return ExitReason.SCENARIO_OFF
    return None


def campaign_skip_reason(facts: ContactFacts) -> ExitReason | None:
    """A campaign's recipient is judged as an enrolment is, with no scenario to switch off."""
    return exit_reason(replace(facts, scenario_enabled=True))


def recipient(contact: Contact) -> Recipient | None:
    """A marketing email goes to the contact itself, never to its account's address."""
    return recipient_from(contact, "contact") if contact.email else None
