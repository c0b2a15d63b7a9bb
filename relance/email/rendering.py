"""The seeds' [[!Field]] merge fields over a sandboxed Jinja2 template, for any domain: each domain
declares its fields (name -> description) and computes their values with the formatting helpers here.

Templates are user content: rendered in a sandbox, escaped in the HTML part, and the subject is a
single line (no header injection).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

MERGE_FIELD = re.compile(r"\[\[!(\w+)\]\]")

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


def template_problems(subject: str, body: str, known: Iterable[str]) -> list[str]:
    """Unknown merge fields and syntax errors, each named, so an author can fix them all at once.
    `known`: the fields the template's use fills in (its domain's)."""
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


def raw_code(name: str) -> str:
    return f"[[!{name}]]"


def render(subject: str, body: str, values: Mapping[str, str], missing_as_codes: bool = False) -> RenderedEmail:
    """Render both parts; raises TemplateProblem naming the part that failed. With missing_as_codes, a
    merge field with no value stays as its raw code (a simulation has nothing behind them)."""
    if missing_as_codes:
        values = {**{name: raw_code(name) for name in MERGE_FIELD.findall(subject + body)}, **values}
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


def money(value: Decimal, currency: str, locale: str) -> str:
    """An amount in the organisation's locale (1 234,56 €)."""
    return format_currency(value, currency, locale=locale)


def day(value: date, locale: str) -> str:
    """A date in the organisation's locale (24/11/2026)."""
    return format_date(value, "short", locale=locale)
