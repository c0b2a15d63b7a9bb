"""A small declarative condition grammar (issue 26): checked when saved with every problem named, said in
a French or English sentence, evaluated on a snapshot of plain values. Pure: no I/O, no clock.

    condition  := {and: [condition, ...]} | {or: [condition, ...]} | {not: condition} | comparison
    comparison := {field: NAME, OP: VALUE}  with exactly one OP:
                  is, is_not, gt, ge, lt, le (one value), in, not_in (a list), contains (one value)

A field the snapshot lacks makes its comparison unknown: `and`/`or`/`not` keep it unknown unless the
other side decides, and an unknown condition does not hold (the reason says which field was missing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

OPS = ("is", "is_not", "gt", "ge", "lt", "le", "in", "not_in", "contains")
ORDERED = ("gt", "ge", "lt", "le")
LISTED = ("in", "not_in")
# Hostile input stays small: a condition is read by a person, not generated.
MAX_DEPTH = 5
MAX_NODES = 50
MAX_LIST = 100
MAX_TEXT = 200

_OP_TEXT = {
    "en": {"is": "is", "is_not": "is not", "gt": "is over", "ge": "is at least", "lt": "is under",
           "le": "is at most", "in": "is one of", "not_in": "is none of", "contains": "contains"},
    "fr": {"is": "est", "is_not": "n'est pas", "gt": "est supérieur à", "ge": "est au moins", "lt": "est inférieur à",
           "le": "est au plus", "in": "est parmi", "not_in": "n'est pas parmi", "contains": "contient"},
}
_WORDS = {"en": {"and": "and", "or": "or", "not": "not", "yes": "holds", "no": "does not hold",
                 "unknown": "cannot be evaluated", "missing": "missing"},
          "fr": {"and": "et", "or": "ou", "not": "non", "yes": "vrai", "no": "faux",
                 "unknown": "impossible à évaluer", "missing": "absent"}}


def language(locale: str | None) -> str:
    """The language of a locale ("fr_FR" -> "fr"); English for any other."""
    return "fr" if (locale or "").lower().startswith("fr") else "en"


@dataclass(frozen=True)
class Field:
    """A field a condition may name: its kind (text, number, date, list) says which comparisons make
    sense; `values`, when known, are the only values it can take."""

    kind: str
    en: str
    fr: str
    values: tuple[str, ...] | None = None


@dataclass
class Vocabulary:
    """The fields of one kind of record, and the prefixes of open-ended ones ("custom." -> text or number)."""

    fields: dict[str, Field]
    open_prefixes: dict[str, Field]

    def field(self, name: str) -> Field | None:
        if name in self.fields:
            return self.fields[name]
        for prefix, f in self.open_prefixes.items():
            rest = name.removeprefix(prefix)
            if name.startswith(prefix) and rest and len(rest) <= 100 and rest.replace("_", "").isalnum():
                return Field(f.kind, f"{f.en} {rest}", f"{f.fr} {rest}")
        return None


# --- checking ------------------------------------------------------------------------------------------


def problems(raw: object, at: str, vocabulary: Vocabulary) -> list[str]:
    """Every problem of a condition, each naming where it is (`at › and[2] › gt`)."""
    found: list[str] = []
    nodes = [0]
    _check(raw, at, vocabulary, 1, nodes, found)
    if nodes[0] > MAX_NODES:
        found.append(f"{at}: {nodes[0]} parts, at most {MAX_NODES}")
    return found


def _check(raw: object, at: str, vocabulary: Vocabulary, depth: int, nodes: list[int], found: list[str]) -> None:
    nodes[0] += 1
    if depth > MAX_DEPTH:
        found.append(f"{at}: nested deeper than {MAX_DEPTH}")
        return
    if not isinstance(raw, dict) or not raw:
        found.append(f"{at}: a condition is a mapping: and, or, not, or field with one of {', '.join(OPS)}")
        return
    logic = [k for k in ("and", "or", "not") if k in raw]
    if logic:
        if len(raw) != 1:
            found.append(f"{at}: {logic[0]} stands alone (found also {', '.join(sorted(set(raw) - {logic[0]}))})")
            return
        key = logic[0]
        if key == "not":
            _check(raw[key], f"{at} › not", vocabulary, depth + 1, nodes, found)
        elif not isinstance(raw[key], list) or not raw[key]:
            found.append(f"{at} › {key}: a non-empty list of conditions")
        else:
            for n, part in enumerate(raw[key], 1):
                _check(part, f"{at} › {key}[{n}]", vocabulary, depth + 1, nodes, found)
        return
    _check_comparison(raw, at, vocabulary, found)


def _check_comparison(raw: dict, at: str, vocabulary: Vocabulary, found: list[str]) -> None:
    unknown = sorted(set(raw) - {"field", *OPS})
    if unknown:
        found.append(f"{at}: unknown key {', '.join(unknown)} (and, or, not, field, {', '.join(OPS)})")
    name = raw.get("field")
    f = vocabulary.field(name) if isinstance(name, str) else None
    if name is None:
        found.append(f"{at} › field: missing (one of {', '.join(vocabulary.fields)}, or "
                     f"{', '.join(p + 'NAME' for p in vocabulary.open_prefixes)})")
    elif f is None:
        found.append(f"{at} › field: unknown field {name!r} (one of {', '.join(vocabulary.fields)}, or "
                     f"{', '.join(p + 'NAME' for p in vocabulary.open_prefixes)})")
    ops = [op for op in OPS if op in raw]
    if len(ops) != 1:
        found.append(f"{at}: exactly one comparison ({', '.join(OPS)}); found {len(ops)}")
        return
    op, value = ops[0], raw[ops[0]]
    if op in LISTED:
        if not isinstance(value, list) or not value or len(value) > MAX_LIST:
            found.append(f"{at} › {op}: a list of 1 to {MAX_LIST} values")
            return
        values = value
    else:
        values = [value]
    for v in values:
        if not isinstance(v, str | int | float | Decimal) or isinstance(v, bool) or len(str(v)) > MAX_TEXT:
            found.append(f"{at} › {op}: {v!r} is not a value (text or number of at most {MAX_TEXT} characters)")
            return
    if f is None:
        return
    if op == "contains" and f.kind not in ("list", "text"):
        found.append(f"{at} › contains: {name} is a {f.kind}; contains is for tags and text")
    if op in ORDERED and f.kind not in ("number", "date", "any"):
        found.append(f"{at} › {op}: {name} is a {f.kind}; {op} compares numbers and dates")
    if f.kind == "list" and op != "contains":
        found.append(f"{at} › {op}: {name} is a list; use contains")
    for v in values:
        if f.kind == "number" and _number(v) is None:
            found.append(f"{at} › {op}: {v!r} is not a number ({name})")
        if f.kind == "date" and _date(v) is None:
            found.append(f"{at} › {op}: {v!r} is not a date YYYY-MM-DD ({name})")
        if f.values is not None and op != "contains" and str(v) not in f.values:
            found.append(f"{at} › {op}: {v!r} is not a known {f.en} ({', '.join(f.values)})")


def normalised(raw: dict) -> dict:
    """The condition as stored (JSON): numbers as text, so 10000 and 10000.0 are the same version."""
    if "not" in raw:
        return {"not": normalised(raw["not"])}
    for key in ("and", "or"):
        if key in raw:
            return {key: [normalised(part) for part in raw[key]]}
    op = next(op for op in OPS if op in raw)
    value = raw[op]
    return {"field": raw["field"], op: [str(v) for v in value] if op in LISTED else str(value)}


# --- saying it --------------------------------------------------------------------------------------------


def sentence(cond: dict, vocabulary: Vocabulary, lang: str = "en") -> str:
    """The condition as a person reads it: "the amount is over 10000 and the tags contain grand-compte"."""
    words = _WORDS[lang]
    if "not" in cond:
        return f"{words['not']} ({sentence(cond['not'], vocabulary, lang)})"
    for key in ("and", "or"):
        if key in cond:
            parts = [f"({sentence(p, vocabulary, lang)})" if "and" in p or "or" in p else sentence(p, vocabulary, lang)
                     for p in cond[key]]
            return f" {words[key]} ".join(parts)
    op = next(op for op in OPS if op in cond)
    value = cond[op]
    shown = ", ".join(value) if isinstance(value, list) else value
    return f"{_label(cond['field'], vocabulary, lang)} {_OP_TEXT[lang][op]} {shown}"


def _label(name: str, vocabulary: Vocabulary, lang: str) -> str:
    f = vocabulary.field(name)
    return (f.fr if lang == "fr" else f.en) if f else name


# --- evaluating ---------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """`held`: True, False, or None (a field was missing: it does not hold); `why` says which parts decided."""

    held: bool | None
    why: str

    @property
    def holds(self) -> bool:
        return self.held is True


def evaluate(cond: dict, snapshot: dict, vocabulary: Vocabulary, lang: str = "en") -> Verdict:
    """The condition on a snapshot (field name -> value; None or absent: the record lacks it)."""
    words = _WORDS[lang]
    if "not" in cond:
        inner = evaluate(cond["not"], snapshot, vocabulary, lang)
        return Verdict(None if inner.held is None else not inner.held, f"{words['not']} ({inner.why})")
    for key in ("and", "or"):
        if key in cond:
            return _combine(key, [evaluate(p, snapshot, vocabulary, lang) for p in cond[key]], words)
    return _compare(cond, snapshot, vocabulary, lang)


def _combine(key: str, parts: list[Verdict], words: dict) -> Verdict:
    decisive = key == "or"
    deciding = [p for p in parts if p.held is decisive]
    if deciding:  # one false part makes `and` false, one true part makes `or` true: it alone says why
        return Verdict(decisive, f" {words[key]} ".join(p.why for p in deciding))
    if any(p.held is None for p in parts):
        return Verdict(None, f" {words[key]} ".join(p.why for p in parts if p.held is None))
    return Verdict(not decisive, f" {words[key]} ".join(p.why for p in parts))


def _compare(cond: dict, snapshot: dict, vocabulary: Vocabulary, lang: str) -> Verdict:
    words = _WORDS[lang]
    name = cond["field"]
    op = next(op for op in OPS if op in cond)
    said = sentence(cond, vocabulary, lang)
    actual = _lookup(snapshot, name)
    f = vocabulary.field(name)
    # No tags is a known empty list (it contains nothing), not a missing field.
    if actual is None or actual == "" or (actual == [] and (f is None or f.kind != "list")):
        return Verdict(None, f"{said}: {words['unknown']} ({_label(name, vocabulary, lang)}: {words['missing']})")
    held = _holds(op, cond[op], actual, f.kind if f else "any")
    if held is None:
        return Verdict(None, f"{said}: {words['unknown']} ({_shown(actual)})")
    return Verdict(held, f"{said}: {words['yes' if held else 'no']} ({_shown(actual)})")


def _lookup(snapshot: dict, name: str) -> object:
    value: object = snapshot
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _shown(actual: object) -> str:
    return ", ".join(str(a) for a in actual) if isinstance(actual, list) else str(actual)


def _holds(op: str, expected: object, actual: object, kind: str) -> bool | None:
    if op == "contains":
        if isinstance(actual, list):
            return str(expected) in [str(a) for a in actual]
        return str(expected).casefold() in str(actual).casefold()
    if op in LISTED:
        inside = any(_equal(e, actual) for e in expected)
        return inside if op == "in" else not inside
    if op in ("is", "is_not"):
        return _equal(expected, actual) == (op == "is")
    left, right = _ordered(actual, kind), _ordered(expected, kind)
    if left is None or right is None or type(left) is not type(right):
        return None  # a text compared with a number: it cannot be said
    return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]


def _equal(expected: object, actual: object) -> bool:
    a, b = _number(expected), _number(actual)
    if a is not None and b is not None:
        return a == b
    return str(expected) == str(actual)


def _ordered(value: object, kind: str) -> Decimal | date | None:
    if kind == "date":
        return _date(value)
    number = _number(value)
    return number if number is not None or kind == "number" else _date(value)


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
