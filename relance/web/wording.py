"""What the outbox calls things: tab names, and a sentence for each draft's state and reason."""

from __future__ import annotations

from models import Draft, DraftKind, DraftStatus

KINDS = {
    DraftKind.BALANCE: "Balance reminders",
    DraftKind.ARRIVAL: "Arrival reminders",
    DraftKind.OPTION: "Option expirations",
    DraftKind.AFTER_DEPARTURE: "After departure",
}
# One email of a kind, in a sentence ("Arrival reminder to Guest 1").
KIND = {
    DraftKind.BALANCE: "Balance reminder",
    DraftKind.ARRIVAL: "Arrival reminder",
    DraftKind.OPTION: "Option expiration",
    DraftKind.AFTER_DEPARTURE: "After-departure email",
}
# Drafts a person can still send (a failed one again).
OPEN = (DraftStatus.WAITING, DraftStatus.EDITED, DraftStatus.FAILED)
REASONS = {
    "balance_paid": "the balance was paid",
    "option_confirmed": "the option was confirmed",
    "option_lapsed": "the option lapsed",
    "booking_cancelled": "the booking was cancelled",
    "dates_changed": "the booking's dates changed (a draft for the new date replaces it)",
    "kind_switched_off": "the agency switched this kind of email off",
    "past_sendable_until": "it was not sent in time",
}
STATES = {
    DraftStatus.WAITING: "Waiting, as the template made it.",
    DraftStatus.EDITED: "Waiting, edited by {edited_by}.",
    DraftStatus.SENDING: "Being sent.",
    DraftStatus.SENT: "Sent by {sent_by}.",
    DraftStatus.WITHDRAWN: "Withdrawn: {reason}.",
    DraftStatus.EXPIRED: "Expired: {reason}.",
    DraftStatus.FAILED: "Not sent: {reason}. You can send it again.",
}


def explain(draft: Draft) -> str:
    """One sentence saying where a draft is and why."""
    reason = REASONS.get(draft.reason or "", draft.reason or "no reason recorded")
    return STATES.get(draft.status, draft.status).format(reason=reason, edited_by=draft.edited_by or "someone",
                                                        sent_by=draft.sent_by or "someone")
