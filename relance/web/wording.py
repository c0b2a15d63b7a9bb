"""What the outbox calls things: tab names (relance.agency.kinds), states and a sentence for each
draft's state and reason. Each is a message to translate (relance.i18n) in the reader's language where
it is shown."""

from __future__ import annotations

import re
from datetime import date

from models import Draft, DraftKind, DraftStatus
from relance import i18n
from relance.agency.kinds import TAB_NAMES
from relance.email.rendering import day
from relance.i18n import N_

KINDS = TAB_NAMES
# One email of a kind, in a sentence ("Arrival reminder to Guest 1").
KIND = {
    DraftKind.BALANCE: N_("Balance reminder"),
    DraftKind.ARRIVAL: N_("Arrival reminder"),
    DraftKind.OPTION: N_("Option expiration"),
    DraftKind.AFTER_DEPARTURE: N_("After-departure email"),
}
# A draft's state in a word (its badge).
STATUS = {
    DraftStatus.WAITING: N_("waiting"),
    DraftStatus.EDITED: N_("edited"),
    DraftStatus.SENDING: N_("sending"),
    DraftStatus.SENT: N_("sent"),
    DraftStatus.WITHDRAWN: N_("withdrawn"),
    DraftStatus.EXPIRED: N_("expired"),
    DraftStatus.FAILED: N_("failed"),
}
# A booking's status.
BOOKING_STATUS = {"option": N_("option"), "confirmed": N_("confirmed"), "cancelled": N_("cancelled")}
# Drafts a person can still send (a failed one again).
OPEN = (DraftStatus.WAITING, DraftStatus.EDITED, DraftStatus.FAILED)
REASONS = {
    "balance_paid": N_("the balance was paid"),
    "option_confirmed": N_("the option was confirmed"),
    "option_lapsed": N_("the option lapsed"),
    "booking_cancelled": N_("the booking was cancelled"),
    "dates_changed": N_("the booking's dates changed (a draft for the new date replaces it)"),
    "kind_switched_off": N_("the agency switched this kind of email off"),
    "past_sendable_until": N_("it was not sent in time"),
}
# Why a reminder could not be sent (the reports page's words for relance's reasons; another is shown as it came).
NOT_SENT = {
    "no_recipient": N_("no address"),
    "sender_not_verified": N_("sender not verified"),
    "bounced": N_("bounced"),
    "template_error": N_("template error"),
    "rejected by SES": N_("rejected by SES"),
    "delivery_uncertain": N_("delivery uncertain"),
}
# Why an edited draft no longer matches its booking (relance.agency.withdrawal records "<date> moved from
# <before> to <after>"): the date each kind counts from, moved.
MOVED = {
    DraftKind.BALANCE: N_("The balance due date moved from %(before)s to %(after)s: check the text before sending."),
    DraftKind.ARRIVAL: N_("The arrival moved from %(before)s to %(after)s: check the text before sending."),
    DraftKind.OPTION: N_("The option's expiry moved from %(before)s to %(after)s: check the text before sending."),
    DraftKind.AFTER_DEPARTURE: N_("The departure moved from %(before)s to %(after)s: check the text before sending."),
}
_MOVED = re.compile(r"moved from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)$")
STATES = {
    DraftStatus.WAITING: N_("Waiting, as the template made it."),
    DraftStatus.EDITED: N_("Waiting, edited by %(edited_by)s."),
    DraftStatus.SENDING: N_("Being sent."),
    DraftStatus.SENT: N_("Sent by %(sent_by)s."),
    DraftStatus.WITHDRAWN: N_("Withdrawn: %(reason)s."),
    DraftStatus.EXPIRED: N_("Expired: %(reason)s."),
    DraftStatus.FAILED: N_("Not sent: %(reason)s. You can send it again."),
}


def explain(draft: Draft, language: str) -> str:
    """One sentence saying where a draft is and why, in `language`. A reason relance does not name (a
    provider's refusal) is shown as it came."""
    _ = i18n.gettext_in(language)
    reason = _(REASONS[draft.reason]) if draft.reason in REASONS else draft.reason or _("no reason recorded")
    state = STATES.get(draft.status)
    if state is None:
        return draft.status
    return _(state, reason=reason, edited_by=draft.edited_by or _("someone"), sent_by=draft.sent_by or _("someone"))


def flag(draft: Draft, language: str, locale: str) -> str:
    """Why an edited draft was flagged, in `language` with dates in `locale` (as recorded when unknown)."""
    moved = _MOVED.search(draft.flagged or "")
    if moved is None or draft.kind not in MOVED:
        return draft.flagged or ""
    before, after = (day(date.fromisoformat(value), locale) for value in moved.groups())
    return i18n.gettext_in(language)(MOVED[draft.kind], before=before, after=after)
