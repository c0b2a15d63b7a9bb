"""The day's summary as an email to one staff member, in their language: drafts waiting per tab, those
expiring soon, and the link to the agency's outbox where they are sent."""

from __future__ import annotations

from models import AgencyStaff
from relance import i18n
from relance.agency.kinds import TAB_NAMES
from relance.agency.views import DaySummary
from relance.email.mailer import OutgoingEmail
from relance.email.rendering import day, html_of, single_line

OUTBOX_PATH = "/outbox"  # where relance.web serves the outbox


def outbox_url(base_url: str, agency_slug: str) -> str:
    return f"{base_url}{OUTBOX_PATH}/agencies/{agency_slug}"


def summary_email(summary: DaySummary, person: AgencyStaff, language: str, org_locale: str,
                  base_url: str) -> OutgoingEmail:
    """`language`: the person's; dates in it and the organisation's region (relance.i18n.reading_locale)."""
    agency = summary.agency
    _, ngettext = i18n.gettext_in(language), i18n.ngettext_in(language)
    on = day(summary.today, i18n.reading_locale(language, org_locale))
    lines = [_("Hello %(name)s,", name=person.name), "",
             ngettext("%(num)s email waits in the outbox of %(agency)s on %(day)s:",
                      "%(num)s emails wait in the outbox of %(agency)s on %(day)s:", summary.total_waiting,
                      agency=agency.name, day=on)]
    lines += ["  - " + _("%(tab)s: %(count)s", tab=_(TAB_NAMES[kind]) if kind in TAB_NAMES else kind, count=n)
              for kind, n in summary.waiting.items()]
    if summary.expiring_soon:
        lines += ["", ngettext("%(num)s expires within two days if not sent.",
                               "%(num)s expire within two days if not sent.", summary.expiring_soon)]
    lines += ["", _("Open the outbox to check and send them:"), outbox_url(base_url, agency.slug)]
    text = "\n".join(lines)
    subject = single_line(ngettext("%(agency)s: %(num)s email to send today",
                                   "%(agency)s: %(num)s emails to send today", summary.total_waiting,
                                   agency=agency.name))
    return OutgoingEmail(agency.sender_email, agency.from_name, person.email, subject, text, html_of(text))
