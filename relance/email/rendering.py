"""The seeds' [[!Field]] merge fields over a sandboxed Jinja2 template, for any domain: each domain
declares its fields (name -> description) and computes their values with the formatting helpers here.

Templates are user content: rendered in a sandbox, escaped in the HTML part, and the subject is a
single line (no header injection).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import escape

from relance.limits import MAX_RANGE, MAX_RENDER_SECONDS, MAX_RENDER_SECONDS_PER_REQUEST, MAX_RENDERED_BYTES

MERGE_FIELD = re.compile(r"\[\[!(\w+)\]\]")
MAX_EXPONENT = 64

# When the render under way must stop (time.monotonic()), and when every render of the current request must.
_deadline: ContextVar[float] = ContextVar("render_deadline", default=float("inf"))
_request_deadline: ContextVar[float] = ContextVar("render_request_deadline", default=float("inf"))


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox that cannot change a list or a dict (no x.append(...) growing memory without output),
    plus bounds on time and size that hold whatever the template does:
    - time: every loop iteration and every call checks the render's deadline (paced and call below).
      A template only repeats work through loops, calls (macros, recursive loops) and filters over
      bounded values, so no path runs long without passing a check; checks cost a clock read.
    - size: no value past MAX_RENDERED_BYTES as text is ever built. What can build one from small
      values is checked before it runs: repetition ("x" * 10**9), powers, +, ~, printing or joining a
      list that repeats a long text, widths (center, "%9999999d"), replace; range() has at most
      MAX_RANGE items; and rendering stops past MAX_RENDERED_BYTES (_bounded below)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options):
        super().__init__(finalize=_printable, **options)
        self.globals["range"] = _bounded_range
        for name, check in FILTER_CHECKS.items():
            self.filters[name] = _checked(name, self.filters[name], check)

    def _parse(self, source, name, filename):
        """Every `for` iterates through `paced`, which checks the deadline at each item (an empty nested
        loop calls nothing, so the call hook alone would never see it), and every part of a `~` is
        checked for size before it is turned into text."""
        template = super()._parse(source, name, filename)
        for loop in template.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.EnvironmentAttribute("paced"), [loop.iter], [], None, None,
                                   lineno=loop.lineno)
        for concat in template.find_all(nodes.Concat):
            concat.nodes = [nodes.Call(nodes.EnvironmentAttribute("sized"), [part], [], None, None,
                                       lineno=concat.lineno) for part in concat.nodes]
        return template

    def paced(self, items: Iterable) -> Iterator:
        for item in items:
            _check_time()
            yield item

    def sized(self, value: Any) -> Any:
        _check_size("~", _text_size(value))
        return value

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (the sandbox's signature)
        _check_time()
        if isinstance(getattr(__obj, "__self__", None), str) and __obj.__name__ in METHOD_CHECKS:
            METHOD_CHECKS[__obj.__name__](__obj.__self__, *args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """str.format and format_map, their widths checked first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format(value.__self__, *args, **kwargs)
            return wrapped(*args, **kwargs)

        return checked

    def call_binop(self, context, operator: str, left, right):
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
        if operator == "*":
            for value, times in ((left, right), (right, left)):
                if isinstance(value, str | list | tuple) and isinstance(times, int):
                    _check_size("a repetition", _text_size(value) * times)
        if operator == "+" and isinstance(left, str | list | tuple):
            _check_size("+", _text_size(left) + _text_size(right))
        if operator == "%" and isinstance(left, str):
            _check_format(left, right)
        return super().call_binop(context, operator, left, right)


def _text_size(value: Any) -> int:
    """About how many characters `value` makes as text, counted until past the limit (a list of 500,000
    references to one long text is small in memory, 250 GB as text)."""
    size, pending = 0, [value]
    while pending and size <= MAX_RENDERED_BYTES:
        item = pending.pop()
        if isinstance(item, str):
            size += len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            size += 2 + len(item)
            pending += item
        elif isinstance(item, dict):
            size += 2 + len(item)
            pending += [*item.keys(), *item.values()]
        else:
            size += 8
    return size


def _check_size(what: str, size: int) -> None:
    if size > MAX_RENDERED_BYTES:
        raise SecurityError(f"{what} would make a text of more than {MAX_RENDERED_BYTES // 1024} KB")


def _printable(value: Any) -> Any:
    """`finalize`: a printed value is checked before it becomes text."""
    _check_size("printing a value", _text_size(value))
    return value


WIDE_FORMAT = re.compile(r"\d{6,}|\*|\{[^{}]*\{")  # a width or precision of 100,000 or more, given or computed


def _check_format(template: str, *args: Any, **kwargs: Any) -> None:
    if WIDE_FORMAT.search(template):
        raise SecurityError("a format with a width of 100,000 or more, or a computed one")
    _check_size("a format", len(template) + _text_size([args, kwargs]))


def _check_join(text: str, items: Any = (), *_: Any, **__: Any) -> None:
    if isinstance(items, list | tuple | str):
        _check_size("join", _text_size(items) + len(text) * len(items))


def _check_replace(text: str, old: Any = "", new: Any = "", *_: Any, **__: Any) -> None:
    if isinstance(old, str) and isinstance(new, str):
        _check_size("replace", len(text) + (text.count(old) if old else len(text) + 1) * len(new))


def _check_width(text: Any, *args: Any, **kwargs: Any) -> None:
    """center, indent, ljust, ...: a width as a number, or a text repeated on every line."""
    lines = str(text).count("\n") + 1 if isinstance(text, str) else 1
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int):
            _check_size("a width", arg)
        elif isinstance(arg, str):
            _check_size("an indent", len(arg) * lines)


def _check_joined(items: Any, *args: Any, **kwargs: Any) -> None:
    separator = next((a for a in (*args, *kwargs.values()) if isinstance(a, str)), "")
    sizes = [_text_size(items)] + ([len(separator) * len(items)] if isinstance(items, list | tuple | str) else [])
    _check_size("join", sum(sizes))


def _check_printed(value: Any, *_: Any, **__: Any) -> None:
    _check_size("a value as text", _text_size(value))


METHOD_CHECKS = {"join": _check_join, "replace": _check_replace, "center": _check_width, "ljust": _check_width,
                 "rjust": _check_width, "zfill": _check_width, "expandtabs": _check_width}
FILTER_CHECKS = {"join": _check_joined, "replace": _check_replace, "format": _check_format,
                 "center": _check_width, "indent": _check_width, "string": _check_printed,
                 "pprint": _check_printed, "tojson": _check_printed, "list": _check_printed}


def _checked(name: str, apply: Callable, check: Callable) -> Callable:
    """A built-in filter, its input checked first (the filter itself runs in C or without a hook)."""

    @functools.wraps(apply)
    def checked(*args: Any, **kwargs: Any) -> Any:
        values = args[1:] if getattr(apply, "jinja_pass_arg", None) else args
        check(*values, **kwargs)
        return apply(*args, **kwargs)

    return checked


def _bounded_range(*args: int) -> range:
    """range() in a template: a loop over more is a template that would run for minutes."""
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise SecurityError(f"range() of {len(items):,} items; at most {MAX_RANGE:,}")
    return items


def _check_time() -> None:
    if time.monotonic() > _deadline.get():
        raise SecurityError(f"runs for more than {MAX_RENDER_SECONDS:g} s (the limit of a template: a loop or a "
                            "macro that repeats too much?)" if _deadline.get() < _request_deadline.get() else
                            f"the request's {MAX_RENDER_SECONDS_PER_REQUEST:g} s for rendering templates ran out")


@contextmanager
def render_budget(seconds: float = MAX_RENDER_SECONDS_PER_REQUEST) -> Iterator[None]:
    """Every render inside shares `seconds` in all (an import of many templates, each just under the
    limit, is bounded too)."""
    token = _request_deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _request_deadline.reset(token)


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


# An http(s) URL in a body, up to a space or a character no URL has; a trailing full stop, comma, closing
# bracket... is the sentence's, not the URL's.
URL = re.compile(r"https?://[^\s<>\"`{}|\\^]+")
_URL_TAIL = ".,;:!?)]»'"


def html_of(text: str) -> str:
    """The HTML part of a plain-text body: escaped, line breaks kept, every http(s) URL a link (the text
    part keeps the plain URL)."""
    return "<html><body><p>" + _linked(text).replace("\n", "<br>\n") + "</p></body></html>"


def _linked(text: str) -> str:
    pieces, last = [], 0
    for found in URL.finditer(text):
        url = found.group().rstrip(_URL_TAIL)
        start, end = found.start(), found.start() + len(url)
        pieces += [str(escape(text[last:start])), f'<a href="{escape(url)}">{escape(url)}</a>']
        last = end
    return "".join([*pieces, str(escape(text[last:]))])


def _bounded(source: str, values: Mapping[str, str], part: str) -> str:
    """Rendered piece by piece, stopped as soon as it passes the size or the time limit: a template that
    would render 200 MB or loop for an hour is refused (at save time, or `not_sent` with this reason at
    send time), never sent or timed out. Any error of the template's code (1/0, a recursion without end)
    is the template's problem, never the caller's crash."""
    size, pieces = 0, []
    token = _deadline.set(min(time.monotonic() + MAX_RENDER_SECONDS, _request_deadline.get()))
    try:
        for piece in _compiled(source).generate(values):
            size += len(piece.encode("utf-8"))
            if size > MAX_RENDERED_BYTES:
                raise TemplateProblem([f"{part}: renders more than {MAX_RENDERED_BYTES // 1024} KB "
                                       f"(the limit of an email)"])
            pieces.append(piece)
    except TemplateProblem:
        raise
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        raise TemplateProblem([f"{part}: {exc}"]) from exc
    finally:
        _deadline.reset(token)
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
