"""The API's contract, the same on every route: a body with a field nobody declared is refused, an
amount is never rounded, a number beyond what its column holds is a 422 naming the field (never a
database error), and every time in an answer carries the organisation's offset (the CLI's).

Routes use `StrictBody` for their bodies, `Amount` / `PositiveAmount` for money, `RowId` / `Int32`
for integers stored in PostgreSQL `integer` columns, and `APIRouter(route_class=ContractRoute)`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from functools import wraps
from typing import Annotated, Any

from annotated_types import Interval
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from models.columns import MONEY_DIGITS, MONEY_PLACES
from relance import calendar
from relance.limits import MAX_AMOUNT
from relance.scenario.plan import step_number

INT32_MAX = 2**31 - 1  # PostgreSQL `integer`: ids, versions, counts


class StrictBody(BaseModel):
    """A request body: a misspelt field (`paid_om`) is refused, not ignored with its value lost."""

    model_config = ConfigDict(extra="forbid")


# Money as the amount columns hold it (Numeric(12, 2)): more decimals are refused, never rounded; the
# organisation's currency may allow fewer (checked where the organisation is known: relance.limits).
_MONEY = dict(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, allow_inf_nan=False, le=MAX_AMOUNT)
Amount = Annotated[Decimal, Field(ge=0, **_MONEY)]
PositiveAmount = Annotated[Decimal, Field(gt=0, **_MONEY)]
RowId = Annotated[int, Interval(ge=1, le=INT32_MAX)]
Int32 = Annotated[int, Interval(ge=-INT32_MAX - 1, le=INT32_MAX)]

STEP_NUMBER = "the step as the CLI, the summary and the README number it: 1 for the first, pauses included"


def numbered(position: int | None) -> int | None:
    """A stored step position (0-based) as people number steps (scenario.plan.step_number)."""
    return None if position is None else step_number(position)


def links(**targets: tuple[str, str, dict[str, str]]) -> dict:
    """OpenAPI links of an answer (name=(method, path, parameters)): what a client, and the stateful
    fuzz, may call next with what this call named or made (create, then read, then change)."""
    return {"links": {name: {"operationRef": f"#/paths/{path.replace('/', '~1')}/{method}", "parameters": parameters}
                      for name, (method, path, parameters) in targets.items()}}


# The key's organisation's time zone, set by relance.api.auth once the key is known.
organisation_zone: ContextVar[str | None] = ContextVar("organisation_zone", default=None)


def localized(value: Any, tz: str) -> Any:
    """`value` with every UTC (or naive, read as UTC) time in it moved to `tz`; a time already given in
    a zone of its own (an agency's) is kept. Models and dataclasses are copied, never changed."""
    if isinstance(value, datetime):
        offset = value.utcoffset()
        return calendar.in_zone(value, tz) if offset is None or not offset else value
    if isinstance(value, list | tuple):
        return type(value)(localized(item, tz) for item in value)
    if isinstance(value, dict):
        return {key: localized(item, tz) for key, item in value.items()}
    if isinstance(value, BaseModel) and not value.model_config.get("table"):
        return value.model_copy(update={name: localized(getattr(value, name), tz)
                                        for name in type(value).model_fields})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: localized(getattr(value, f.name), tz)
                                             for f in dataclasses.fields(value) if f.init})
    return value


def _in_organisation_zone(endpoint: Callable) -> Callable:
    @wraps(endpoint)
    async def answer(*args, **kwargs):
        result = await endpoint(*args, **kwargs)
        tz = organisation_zone.get()
        return result if tz is None else localized(result, tz)

    return answer


class ContractRoute(APIRoute):
    """A route whose answer's times are in the organisation's zone, whatever built them."""

    def __init__(self, path: str, endpoint: Callable, **kwargs):
        super().__init__(path, _in_organisation_zone(endpoint), **kwargs)
