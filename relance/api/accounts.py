"""An account (a customer) excluded from dunning, and readmitted: the same starter function as `relance
exclude` and `relance readmit`, for the key's organisation only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from relance import limits
from relance.api.auth import organisation
from relance.api.contract import StrictBody
from relance.api.problems import documented
from relance.api.services import Services, services
from relance.importing.format import REFERENCE_PATTERN
from starter import dunning

router = APIRouter(prefix="/v1", tags=["dunning"], responses=documented(401, 403, 404, 413, 422, 503))
AccountRef = Annotated[str, Path(pattern=REFERENCE_PATTERN, max_length=limits.MAX_ID_LENGTH)]


class ExclusionBody(StrictBody):
    reason: str = Field(min_length=1, max_length=limits.MAX_NAME_LENGTH, description="why (a key account, a dispute)")


class ExclusionOut(BaseModel):
    account: str
    excluded: str | None = Field(description="why the account is excluded; null: it is not")
    resumed: int = Field(description="held runs woken by lifting the exclusion")


@router.put("/accounts/{ref}/dunning-exclusion", response_model=ExclusionOut)
async def exclude(ref: AccountRef, body: ExclusionBody, org: str = Depends(organisation),
                  svc: Services = Depends(services)) -> ExclusionOut:
    """Exclude the account from dunning: its runs hold at their next step, recorded with the reason."""
    await dunning.exclude_account(await svc.client(), svc.db, org, ref, body.reason)
    return ExclusionOut(account=ref, excluded=body.reason.strip(), resumed=0)


@router.delete("/accounts/{ref}/dunning-exclusion", response_model=ExclusionOut)
async def readmit(ref: AccountRef, org: str = Depends(organisation), svc: Services = Depends(services)) -> ExclusionOut:
    """Lift the exclusion: its held runs go on where they were, the later steps spaced as the scenario says."""
    resumed = await dunning.exclude_account(await svc.client(), svc.db, org, ref, None)
    return ExclusionOut(account=ref, excluded=None, resumed=resumed)
