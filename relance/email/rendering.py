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
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

from relance.limits import MAX_RENDERED_BYTES

MERGE_FIELD = re.compile(r"\[\[!(\w+)\]\]")
MAX_EXPONENT = 64


class _BoundedEnvironment(SandboxedEnvironment):
    """The sandbox, plus no expression that builds a huge value at once ("x" * 10**9, 10**10**10):
    rendering itself stops past MAX_RENDERED_BYTES (render below)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator: str, left, right):
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                if isinstance(text, str | list | tuple) and isinstance(times, int) \
                        and len(text) * times > MAX_RENDERED_BYTES:
                    raise SecurityError(f"a repetition would render more than {MAX_RENDERED_BYTES // 1024} KB")
        return super().call_binop(context, operator, left, right)


_env = _BoundedEnvironment(undefined=StrictUndefined, autoescape=False)


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
    rendered_subject = _bounded(subject, values, "subject")
    text = _bounded(body, values, "body")
    return RenderedEmail(subject=single_line(rendered_subject), text=text, html=html_of(text))


def html_of(text: str) -> str:
    """The HTML part of a plain-text body: escaped, line breaks kept."""
    return "<html><body><p>" + str(escape(text)).replace("\n", "<br>\n") + "</p></body></html>"


def _bounded(source: str, values: Mapping[str, str], part: str) -> str:
    """Rendered piece by piece, stopped as soon as it passes the size limit: a template that would render
    200 MB is refused (at save time, or `not_sent` with this reason at send time), never sent or timed out."""
    size, pieces = 0, []
    try:
        for piece in _compiled(source).generate(values):
            size += len(piece.encode("utf-8"))
            if size > MAX_RENDERED_BYTES:
                raise TemplateProblem([f"{part}: renders more than {MAX_RENDERED_BYTES // 1024} KB "
                                       f"(the limit of an email)"])
            pieces.append(piece)
    except TemplateError as exc:
        raise TemplateProblem([f"{part}: {exc}"]) from exc
    return "".join(pieces)


def single_line(value: str) -> str:
    """Header-safe: control characters (CR, LF, ...) become spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", value).split())


def money(value: Decimal, currency: str, locale: str) -> str:
    """An amount in the organisation's locale (1 234,56 €)."""
    return format_currency(value, currency, locale=locale)


def day(value: date, locale: str) -> str:
    """A date in the organisation's locale (24/11/2026)."""
    return format_date(value, "short", locale=locale)
