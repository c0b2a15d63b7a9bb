"""An organisation's dunning and renewal-notice settings, as its settings screens show and change them:
a PUT changes only the fields it gives. Switching dunning on resumes the held runs where they were; a
sender is checked as a verified SES identity when it is saved, not when the first email would go."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import Field

from relance.api.auth import organisation
from relance.api.problems import documented
from relance.api.services import Services, services
from relance.dunning.settings import DunningChange, DunningSettings, read_settings
from relance.renewal import settings as renewal
from starter.dunning import change_dunning_settings

router = APIRouter(prefix="/v1/settings", tags=["settings"], responses=documented(401, 403, 404, 413, 422, 503))


class DunningSettingsOut(DunningSettings):
    resumed: int = Field(default=0, description="held runs woken by switching dunning on (PUT only)")


@router.get("/dunning", response_model=DunningSettingsOut)
async def get_dunning(org: str = Depends(organisation), svc: Services = Depends(services)) -> DunningSettingsOut:
    return DunningSettingsOut(**(await read_settings(svc.db, org)).model_dump())


@router.put("/dunning", response_model=DunningSettingsOut)
async def put_dunning(body: DunningChange, org: str = Depends(organisation),
                      svc: Services = Depends(services)) -> DunningSettingsOut:
    """Change the fields given, all or nothing; `enabled` switches dunning on or off as PUT /v1/dunning does."""
    saved, resumed = await change_dunning_settings(await svc.client(), svc.db, svc.mailer, org, body)
    return DunningSettingsOut(**saved.model_dump(), resumed=resumed)


@router.get("/renewal", response_model=renewal.RenewalSettingsOut)
async def get_renewal(org: str = Depends(organisation),
                      svc: Services = Depends(services)) -> renewal.RenewalSettingsOut:
    return await renewal.read_settings(svc.db, org)


@router.put("/renewal", response_model=renewal.RenewalSettingsOut)
async def put_renewal(body: renewal.RenewalChange, org: str = Depends(organisation),
                      svc: Services = Depends(services)) -> renewal.RenewalSettingsOut:
    """Change the fields given, all or nothing; switched on, notices need a template and a sender."""
    return await renewal.change_settings(svc.db, svc.mailer, org, body)
