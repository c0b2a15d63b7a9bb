"""The list of a customer's invoices that one email carries: the day's grouped reminder and the statement.

Each line says number, date, due date, amount due and the invoice's payment page (a link in the HTML
part); the totals are per currency. The text is relance's own, in the reader's language (the account's,
else the organisation's; French or English), rendered through the shared composition so the sender, the
recipient chain, the escaping and the links are those of every other email.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, Contact, Invoice, InvoiceStatus, Organisation, Payment, ScenarioStep
from relance import calendar, i18n, limits
from relance.dunning import rules
from relance.email import merge
from relance.email.compose import Composition, TemplateText, compose
from relance.email.mailer import SesMailer
from relance.email.rendering import day, money
from relance.email.suppression import suppressed
from relance.scenario.email import sender_for


@dataclass(frozen=True)
class Line:
    number: str
    invoice_date: date
    due_date: date
    amount_incl_tax: Decimal
    amount_due: Decimal
    currency: str
    payment_url: str | None = None


# The text relance writes itself, in the reader's language (SPEC rule 9); [[!InvoiceList]] is the list.
TEXTS = {
    ("fr", "reminder"): TemplateText(
        "Relance : [[!Count]] facture(s) en attente de règlement",
        "Bonjour [[!GENDERANDNAME]],\n\nsauf erreur de notre part, les factures suivantes restent à régler :\n\n"
        "[[!InvoiceList]][[!NotAttached]]\n\nTotal dû : [[!TotalDue]]\n\nMerci de votre règlement.\n[[!Sender]]"),
    ("en", "reminder"): TemplateText(
        "Reminder: [[!Count]] invoice(s) awaiting payment",
        "Hello [[!GENDERANDNAME]],\n\nunless we are mistaken, the following invoices are still due:\n\n"
        "[[!InvoiceList]][[!NotAttached]]\n\nTotal due: [[!TotalDue]]\n\nThank you for your payment.\n[[!Sender]]"),
    ("fr", "statement"): TemplateText(
        "Relevé de compte au [[!NOW]]",
        "Bonjour [[!GENDERANDNAME]],\n\nvoici le relevé de vos factures ouvertes au [[!NOW]] :\n\n"
        "[[!InvoiceList]]\n\nTotal dû : [[!TotalDue]]\n\n[[!Sender]]"),
    ("en", "statement"): TemplateText(
        "Account statement at [[!NOW]]",
        "Hello [[!GENDERANDNAME]],\n\nhere are your open invoices at [[!NOW]]:\n\n"
        "[[!InvoiceList]]\n\nTotal due: [[!TotalDue]]\n\n[[!Sender]]"),
}
LINE = {"fr": "- {number} du {date}, échéance {due} : reste dû {amount_due} (total {amount})",
        "en": "- {number} of {date}, due {due}: {amount_due} still due (total {amount})"}
PAY = {"fr": " ; payer en ligne : {url}", "en": "; pay online: {url}"}
# The invoices whose documents would have made the message too big for one email (limits.MAX_ATTACHMENTS_BYTES).
NOT_ATTACHED = {"fr": "\n\nNon joints (l'e-mail dépasserait {mb} Mo), à nous demander si besoin : {numbers}",
                "en": "\n\nNot attached (the email would exceed {mb} MB), ask us for them if needed: {numbers}"}

_PAID = select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.invoice_id == Invoice.id).scalar_subquery()


def language(locale: str) -> str:
    return "fr" if locale.lower().startswith("fr") else "en"


def reader(org: Organisation, account: Account) -> tuple[str, str]:
    """The language the email is written in (the account's, else the organisation's) and the locale its
    dates and amounts are written in for that reader where the organisation is."""
    spoken = language(account.language or org.locale)
    return spoken, i18n.reading_locale(spoken, org.locale)


def line_of(invoice: Invoice, paid: Decimal, currency: str) -> Line:
    return Line(invoice.number, invoice.invoice_date, invoice.due_date, invoice.amount_incl_tax,
                rules.amount_due(invoice, paid), currency, invoice.payment_url)


async def open_lines(session: AsyncSession, org: Organisation, account: Account) -> list[Line]:
    """The account's invoices still owed (issued or in payment, something due), oldest due first."""
    rows = (await session.exec(
        select(Invoice, _PAID).where(Invoice.org_id == org.id, Invoice.account_id == account.id,
                                     col(Invoice.status).in_((InvoiceStatus.ISSUED, InvoiceStatus.IN_PAYMENT)),
                                     Invoice.amount_incl_tax > _PAID)
        .order_by(Invoice.due_date, Invoice.number))).all()
    return [line_of(invoice, Decimal(paid), org.currency) for invoice, paid in rows]


def totals(lines: Iterable[Line]) -> dict[str, Decimal]:
    """The amount due per currency."""
    found: dict[str, Decimal] = {}
    for line in lines:
        found[line.currency] = found.get(line.currency, Decimal(0)) + line.amount_due
    return found


def as_text(lines: list[Line], locale: str, spoken: str | None = None) -> str:
    spoken = spoken or language(locale)
    return "\n".join(LINE[spoken].format(
        number=line.number, date=day(line.invoice_date, locale), due=day(line.due_date, locale),
        amount_due=money(line.amount_due, line.currency, locale),
        amount=money(line.amount_incl_tax, line.currency, locale))
        + (PAY[spoken].format(url=line.payment_url) if line.payment_url else "") for line in lines)


def total_text(lines: list[Line], locale: str) -> str:
    return " + ".join(money(amount, currency, locale) for currency, amount in sorted(totals(lines).items()))


async def compose_listing(session: AsyncSession, mailer: SesMailer, org: Organisation, account: Account,
                          contacts: list[Contact], first: Invoice | None, lines: list[Line], now: datetime, *,
                          kind: str, step: ScenarioStep | None = None, not_attached: Sequence[str] = ()
                          ) -> Composition:
    """The email carrying `lines`: to the recipient the first invoice would have (its contact, else the
    account's chain), signed by the step's sender (or the organisation's), in the reader's language;
    `not_attached` names the invoices whose documents did not fit in it."""
    blocked = await suppressed(session, rules.recipient_chain(account, contacts))
    recipient = rules.pick_recipient(first or Invoice(contact_id=None), account, contacts, blocked)
    sender = await sender_for(session, org, step or ScenarioStep(), first.creator_user_id if first else None)
    spoken, locale = reader(org, account)
    left_out = NOT_ATTACHED[spoken].format(mb=limits.MAX_ATTACHMENTS_BYTES // 2**20, numbers=", ".join(not_attached))
    values = {**merge.values(recipient, calendar.local_today(now, org.timezone), locale),
              "InvoiceList": as_text(lines, locale, spoken), "TotalDue": total_text(lines, locale),
              "NotAttached": left_out if not_attached else "",
              "Count": str(len(lines)), "Sender": (sender.full_name if sender else "") or org.name}
    return await compose(TEXTS[spoken, kind], sender, recipient, values,
                         where=f"account {account.ref!r} {kind}", is_verified=mailer.is_verified, org_name=org.name,
                         sender_name=step.sender_name if step else None,
                         no_recipient="no address on the account or its contacts")
