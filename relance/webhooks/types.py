"""Inputs and results of a delivery's workflow and activities (one dataclass per call)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeliveryInput:
    delivery_id: int
    event_id: str
    endpoint_id: int


@dataclass
class DeliveryResult:
    state: str  # models.DeliveryState: succeeded or failed
    detail: str | None = None


@dataclass
class GiveUpInput:
    delivery_id: int
    detail: str | None  # why it stopped before its time ran out (a disabled or gone endpoint)
