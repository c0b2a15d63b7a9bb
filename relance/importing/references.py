"""The reference checks every section of an import makes: a name given must be one the organisation
has. Each answers a list of zero or one problem, naming where and the field, to add to the others."""

from __future__ import annotations

from collections.abc import Container


def unknown(at: str, field: str, value: str | None, known: Container[str], what: str | None = None) -> list[str]:
    """`at › field: unknown <what> 'value'` when `value` is given and is none of `known`."""
    if value is None or value in known:
        return []
    return [f"{at} › {field}: unknown {what or field} {value!r}"]


def not_a_user(at: str, field: str, value: str | None, users: Container[str]) -> list[str]:
    """`at › field: 'value' is not a user of the organisation` when `value` is given and is not one."""
    if value is None or value in users:
        return []
    return [f"{at} › {field}: {value!r} is not a user of the organisation"]
