"""Reminder and renewal emails: the seeds' [[!Field]] merge fields over a sandboxed Jinja2 template.

Templates are user content: rendered in a sandbox, escaped in the HTML part, and the subject is a
single line (no header injection).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

MERGE_FIELD = re.compile(r"\[\[!(\w+)\]\]")

MERGE_FIELDS = {
    "GENDERANDNAME": "civility and name of the billing contact",
    "NOW": "today's date",
    "Number": "invoice number",
    "AmountTtc": "amount including tax",
    "Amount": "amount excluding tax",
    "InvoiceDate": "invoice date",
    "DueDate": "due date",
    "AmountDue": "amount still due (after partial payments)",
    "ContractRef": "contract reference (renewal notices)",
    "Customer": "customer's name (renewal notices)",
    "TermEnd": "end of the current commitment term (renewal notices)",
    "ContractAmount": "contract amount, empty when unknown (renewal notices)",
}

# What a renewal notice fills in: there is no invoice behind it.
RENEWAL_FIELDS = ("GENDERANDNAME", "NOW", "ContractRef", "Customer", "TermEnd", "ContractAmount")

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


class TemplateProblem(ValueError):
    """A template that cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str


def _to_jinja(source: str) -> str:
    return MERGE_FIELD.sub(lambda m: "{{ " + m.group(1) + " }}", source)


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    """A template compiles once per worker, not once per email (keyed by its text, so an edit is a new entry)."""
    return _env.from_string(_to_jinja(source))


def template_problems(subject: str, body: str, known: Iterable[str] = MERGE_FIELDS) -> list[str]:
    """Unknown merge fields and syntax errors, each named, so an author can fix them all at once.
    `known` narrows the fields to those the template's use can fill in (RENEWAL_FIELDS)."""
    known = list(known)
    problems: list[str] = []
    for part, source in (("subject", subject), ("body", body)):
        unknown = sorted({m for m in MERGE_FIELD.findall(source) if m not in known})
        if unknown:
            problems.append(
                f"{part}: unknown merge field(s) {', '.join(f'[[!{u}]]' for u in unknown)}; "
                f"known: {', '.join(f'[[!{k}]]' for k in known)}"
            )
        try:
            _env.parse(_to_jinja(source))
        except TemplateError as exc:
            problems.append(f"{part}: {exc}")
    return problems


def render(subject: str, body: str, values: dict[str, str]) -> RenderedEmail:
    """Render both parts; raises TemplateProblem naming the part that failed."""
    try:
        rendered_subject = _compiled(subject).render(values)
    except TemplateError as exc:
        raise TemplateProblem([f"subject: {exc}"]) from exc
    try:
        text = _compiled(body).render(values)
    except TemplateError as exc:
        raise TemplateProblem([f"body: {exc}"]) from exc
    html = "<html><body><p>" + str(escape(text)).replace("\n", "<br>\n") + "</p></body></html>"
    return RenderedEmail(subject=single_line(rendered_subject), text=text, html=html)


def single_line(value: str) -> str:
    """Header-safe: control characters (CR, LF, ...) become spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", value).split())


@dataclass
class MergeData:
    """What the merge fields are made of; None means "nothing behind it" (simulation, or an invoice
    field in a renewal notice): the raw code stays."""

    locale: str
    currency: str
    today: date
    civility: str = ""
    name: str = ""
    number: str | None = None
    amount_incl_tax: Decimal | None = None
    amount_excl_tax: Decimal | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    amount_due: Decimal | None = None
    contract_ref: str | None = None
    customer: str | None = None
    term_end: date | None = None
    contract_amount: Decimal | None = None


def merge_values(data: MergeData) -> dict[str, str]:
    """Every merge field formatted in the organisation's locale; missing ones keep their raw code."""

    def money(value: Decimal | None, code: str) -> str:
        return f"[[!{code}]]" if value is None else format_currency(value, data.currency, locale=data.locale)

    def day(value: date | None, code: str) -> str:
        return f"[[!{code}]]" if value is None else format_date(value, "short", locale=data.locale)

    return {
        "GENDERANDNAME": " ".join(p for p in (data.civility, data.name) if p),
        "NOW": day(data.today, "NOW"),
        "Number": data.number if data.number is not None else "[[!Number]]",
        "AmountTtc": money(data.amount_incl_tax, "AmountTtc"),
        "Amount": money(data.amount_excl_tax, "Amount"),
        "InvoiceDate": day(data.invoice_date, "InvoiceDate"),
        "DueDate": day(data.due_date, "DueDate"),
        "AmountDue": money(data.amount_due, "AmountDue"),
        "ContractRef": data.contract_ref if data.contract_ref is not None else "[[!ContractRef]]",
        "Customer": data.customer if data.customer is not None else "[[!Customer]]",
        "TermEnd": day(data.term_end, "TermEnd"),
        # A contract without a known amount: empty, so `{% if ContractAmount %}` can leave the sentence out.
        "ContractAmount": "" if data.contract_ref is not None and data.contract_amount is None
        else money(data.contract_amount, "ContractAmount"),
    }
