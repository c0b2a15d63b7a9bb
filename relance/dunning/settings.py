"""An organisation's dunning settings as its settings screen shows them, and a change to the fields given
only (an absent field keeps its value). Switching on or off is starter.dunning.set_dunning_activation's:
held runs resume there."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from models import AppUser, Organisation, Scenario, SenderMode
from relance import calendar, limits, repository
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.email.senders import verified_sender
from relance.importing.format import Email, WeekDays, checked_minimums


def _clock_time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"a time of day is HH:MM or HH:MM:SS, got {value!r}") from exc


# [opens, closes], times of day in the organisation's zone ("08:00"): text, since JSON Schema's "time"
# carries an offset, and a list, since its tuples are not plain JSON Schema.
ClockTime = Annotated[str, Field(pattern=r"^\d{2}:\d{2}(:\d{2})?$"), AfterValidator(_clock_time)]
Window = Annotated[list[ClockTime], Field(min_length=2, max_length=2)]


class DunningSettings(BaseModel):
    enabled: bool
    apply_to_new_invoices: bool = Field(description="a new invoice gets its run at creation (seed 002)")
    send_window: list[str] = Field(description="[opens, closes], times of day in the organisation's zone")
    send_days: str
    holiday_country: str | None = Field(description="'none': no public holidays; null: the locale's country")
    holiday_subdivision: str | None
    sender_mode: Literal["user", "invoice_creator"]
    sender: str | None = Field(description="the default sender's email (sender_mode user)")
    scenario: str | None = Field(description="the default scenario's key")
    late_interest_rate: Decimal | None = Field(description="yearly late-payment interest, percent ([[!LateInterest]])")
    one_email_per_customer: bool = Field(default=False, description="an account's reminders due the same day go "
                                         "as one email listing them")
    minimum_amounts: dict[str, Decimal] = Field(
        description="currency -> the amount due below which no step goes (skipped, with the reason)")


class DunningChange(BaseModel):
    """Only the fields given change; an absent field keeps its value."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    apply_to_new_invoices: bool | None = None
    send_window: Window | None = Field(default=None, description="[opens, closes], e.g. [\"08:00\", \"18:00\"]")
    send_days: WeekDays | None = None
    holiday_country: str | None = Field(default=None, min_length=2, max_length=4,
                                        description="ISO country; 'none' for no holidays; null: the locale's")
    holiday_subdivision: str | None = Field(default=None, max_length=10)
    sender_mode: Literal["user", "invoice_creator"] | None = None
    sender: Email | None = Field(default=None, description="a user whose address SES has verified")
    late_interest_rate: Decimal | None = Field(
        default=None, ge=0, le=100, max_digits=6, decimal_places=3,
        description="yearly late-payment interest, percent (Code de commerce L441-10); null: none stated")
    one_email_per_customer: bool | None = None
    minimum_amounts: dict[str, Decimal | None] | None = Field(
        default=None, description="currency -> minimum amount due for a step to go; only the currencies given "
        "change, null removes a currency's minimum")

    @field_validator("send_window")
    @classmethod
    def _opens_before_it_closes(cls, value: list[time] | None) -> list[time] | None:
        if value is not None and value[0] >= value[1]:
            raise ValueError(f"opens at {value[0]} but closes at {value[1]}")
        return value

    @field_validator("holiday_country")
    @classmethod
    def _country_or_none(cls, value: str | None) -> str | None:
        return None if value is None else "" if value.lower() == "none" else value.upper()

    @field_validator("minimum_amounts")
    @classmethod
    def _minimums(cls, value: dict[str, Decimal | None] | None) -> dict[str, Decimal | None] | None:
        return None if value is None else checked_minimums(value)


async def read_settings(db: Database, org_slug: str) -> DunningSettings:
    async with db.session() as session:
        return await _settings(session, await repository.organisation(session, org_slug))


async def change_settings(db: Database, mailer: SesMailer, org_slug: str, change: DunningChange) -> DunningSettings:
    """All or nothing; a sender is checked as a verified SES identity now. `enabled` is left to the caller."""
    given = change.model_fields_set - {"enabled"}
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        if "sender" in given and change.sender is not None:
            org.default_sender_user_id = (await verified_sender(session, mailer, org, change.sender,
                                                                "dunning › sender")).id
        elif "sender" in given:
            org.default_sender_user_id = None
        if "late_interest_rate" in given:
            org.late_interest_rate = change.late_interest_rate
        if "send_window" in given and change.send_window is not None:
            org.send_window_start, org.send_window_end = change.send_window
        for name, column in (("apply_to_new_invoices", "dunning_apply_to_new_invoices"), ("send_days", "send_weekdays"),
                             ("holiday_country", "holiday_country"), ("holiday_subdivision", "holiday_subdivision"),
                             ("sender_mode", "sender_mode"),
                             ("one_email_per_customer", "dunning_one_email_per_customer")):
            value = getattr(change, name)
            if name in given and (value is not None or name.startswith("holiday")):
                setattr(org, column, value)
        if change.minimum_amounts is not None:
            minimums = dict(org.dunning_minimums)  # a new dict: the JSON column sees the change
            for currency, amount in change.minimum_amounts.items():
                if amount is None:
                    minimums.pop(currency, None)
                else:
                    minimums[currency] = str(amount)
            org.dunning_minimums = minimums
        if org.sender_mode == SenderMode.USER and org.default_sender_user_id is None and "sender_mode" in given:
            raise limits.Refused("dunning › sender: sender_mode user needs a sender (a verified user's email)")
        if {"holiday_country", "holiday_subdivision"} & given and (org.holiday_country or org.holiday_subdivision):
            opening = calendar.Opening(country=org.holiday_country or calendar.default_country(org.locale),
                                       subdivision=org.holiday_subdivision)
            problems = [f"dunning › holiday_{p}" for p in calendar.validate_opening(opening)]
            if problems:
                raise limits.Refused("; ".join(problems))
        session.add(org)
        await session.flush()
        return await _settings(session, org)


async def _settings(session, org: Organisation) -> DunningSettings:
    sender = await session.get(AppUser, org.default_sender_user_id) if org.default_sender_user_id else None
    scenario = await session.get(Scenario, org.default_scenario_id) if org.default_scenario_id else None
    return DunningSettings(
        enabled=org.dunning_enabled, apply_to_new_invoices=org.dunning_apply_to_new_invoices,
        send_window=[org.send_window_start.isoformat(), org.send_window_end.isoformat()],
        send_days=org.send_weekdays,
        holiday_country="none" if org.holiday_country == "" else org.holiday_country,
        holiday_subdivision=org.holiday_subdivision, sender_mode=org.sender_mode,
        sender=sender.email if sender else None, scenario=scenario.key if scenario else None,
        late_interest_rate=org.late_interest_rate,
        one_email_per_customer=org.dunning_one_email_per_customer,
        minimum_amounts={currency: Decimal(amount) for currency, amount in org.dunning_minimums.items()})
