"""Drafting one agency's day: every enabled kind, every booking whose draft is due by then and still
sendable, drafted once per (agency, kind, booking, date it counts from) in the guest's language; and the
open drafts past their sendable date expire. A booking already holding an open draft of the kind (an
edited one its booking's dates moved under) gets no second one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import structlog
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Agency, AgencyKindSetting, AgencyTemplate, Booking, Draft, DraftStatus, Organisation, Property
from relance.agency import kinds, merge_fields
from relance.agency.repository import facts
from relance.email.rendering import TemplateProblem, render

log = structlog.get_logger("relance.agency")

OPEN = (DraftStatus.WAITING, DraftStatus.EDITED, DraftStatus.FAILED)
_DRAFTS = Draft.__table__


@dataclass
class Made:
    """A draft made (or expired): what its webhook event says."""

    draft_id: int
    kind: str
    booking_ref: str
    due_on: date
    reason: str | None = None  # why it was withdrawn


def pick_template(templates: dict[tuple[str, str], AgencyTemplate], kind: str, language: str,
                  fallback: str) -> AgencyTemplate | None:
    """The guest's language, else the agency's, else any language the kind has."""
    for lang in (language, fallback):
        if (kind, lang) in templates:
            return templates[(kind, lang)]
    return next((t for (k, _), t in sorted(templates.items()) if k == kind), None)


async def draft_day(session: AsyncSession, org: Organisation, agency: Agency, day: date,
                    now: datetime) -> tuple[list[Made], list[str]]:
    """The drafts made for `day`, and the bookings that could not be drafted (named, the rest went on)."""
    settings = (await session.exec(select(AgencyKindSetting).where(
        AgencyKindSetting.agency_id == agency.id, col(AgencyKindSetting.enabled).is_(True)))).all()
    templates = {(t.kind, t.language): t for t in (await session.exec(select(AgencyTemplate).where(
        AgencyTemplate.agency_id == agency.id))).all()}
    made: list[Made] = []
    problems: list[str] = []
    for setting in sorted(settings, key=lambda s: kinds.KINDS.index(s.kind)):
        for booking, prop in await _candidates(session, agency, setting, day):
            try:
                draft = await _draft_one(session, org, agency, setting, templates, booking, prop, day, now)
            except TemplateProblem as exc:
                problems.append(f"booking {booking.reference!r}, kind {setting.kind}: field template: {exc}")
                continue
            if draft is not None:
                made.append(draft)
    return made, problems


async def _candidates(session: AsyncSession, agency: Agency, setting: AgencyKindSetting,
                      day: date) -> list[tuple[Booking, Property]]:
    first, last = kinds.counts_from_window(setting.kind, day, setting.delay_days)
    counted = getattr(Booking, kinds.COUNTS_FROM[setting.kind])
    holding = select(Draft.booking_id).where(Draft.agency_id == agency.id, Draft.kind == setting.kind,
                                             col(Draft.status).in_(OPEN + (DraftStatus.SENDING,)))
    rows = await session.exec(
        select(Booking, Property).join(Property, Property.id == Booking.property_id)
        .where(Booking.agency_id == agency.id, Booking.status == kinds.FOR_STATUS[setting.kind],
               counted >= first, counted <= last, col(Booking.id).not_in(holding))
        .order_by(Booking.id))
    return list(rows.all())


async def _draft_one(session: AsyncSession, org: Organisation, agency: Agency, setting: AgencyKindSetting,
                     templates: dict, booking: Booking, prop: Property, day: date, now: datetime) -> Made | None:
    known = await facts(session, booking)
    counts_from = known.counts_from(setting.kind)
    if kinds.pointless_reason(setting.kind, counts_from, known) is not None:
        return None
    template = pick_template(templates, setting.kind, booking.guest_language, agency.language)
    if template is None:
        raise TemplateProblem([f"no template for kind {setting.kind}"])
    email = render(template.subject, template.body, merge_fields.values(
        booking, prop, agency, known.outstanding, org.currency, template.language, day, org.locale))
    due = kinds.due_on(setting.kind, counts_from, setting.delay_days)
    made_from = {"template_id": template.id, "template_language": template.language,
                 "delay_days": setting.delay_days, "status": booking.status,
                 **{kind: (value.isoformat() if value else None) for kind, value in known.dates.items()},
                 "outstanding": str(known.outstanding)}
    draft_id = (await session.exec(insert(_DRAFTS).values(
        org_id=org.id, agency_id=agency.id, booking_id=booking.id, kind=setting.kind, counts_from=counts_from,
        due_on=due, sendable_until=kinds.sendable_until(setting.kind, counts_from, due), language=template.language,
        recipient=booking.guest_email, subject=email.subject, body=email.text, made_from=made_from,
        status=DraftStatus.WAITING, version=1, drafted_at=now,
    ).on_conflict_do_nothing().returning(_DRAFTS.c.id))).first()
    if draft_id is None:  # drafted on an earlier night (or earlier in a retried run)
        return None
    return Made(draft_id[0], setting.kind, booking.reference, due)


async def expire(session: AsyncSession, agency: Agency, day: date, now: datetime) -> list[Made]:
    """Open drafts whose last sendable day is before `day`: expired, with the reason, kept in the history."""
    rows = (await session.exec(
        update(_DRAFTS).where(_DRAFTS.c.agency_id == agency.id, _DRAFTS.c.status.in_(OPEN),
                              _DRAFTS.c.sendable_until < day)
        .values(status=DraftStatus.EXPIRED, reason=kinds.EXPIRED, closed_at=now, version=_DRAFTS.c.version + 1)
        .returning(_DRAFTS.c.id, _DRAFTS.c.kind, _DRAFTS.c.booking_id, _DRAFTS.c.due_on))).all()
    refs = dict((await session.exec(select(Booking.id, Booking.reference).where(
        col(Booking.id).in_([r.booking_id for r in rows])))).all()) if rows else {}
    return [Made(r.id, r.kind, refs[r.booking_id], r.due_on) for r in rows]
