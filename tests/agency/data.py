"""An organisation with one agency, as the import file gives it, for the agency tests."""

from __future__ import annotations

from datetime import date, timedelta

from starter import agency

SENDER = "resa@mer.example"
TEMPLATES = {
    "fr": {"subject": "Votre séjour [[!BOOKINGREF]] à [[!PROPERTY]]",
           "body": "Bonjour [[!GUESTNAME]],\nArrivée le [[!ARRIVAL]], départ le [[!DEPARTURE]]. Solde : [[!BALANCE]] "
                   "avant le [[!BALANCEDUE]]. Option jusqu'au [[!OPTIONEXPIRY]].\n[[!AGENCY]]"},
    "en": {"subject": "Your stay [[!BOOKINGREF]] at [[!PROPERTY]]",
           "body": "Hello [[!GUESTNAME]],\nArrival [[!ARRIVAL]], departure [[!DEPARTURE]].\n[[!AGENCY]]"},
}


def kinds(delays: dict[str, int]) -> dict:
    return {kind: {"enabled": True, "delay_days": delay, "templates": TEMPLATES} for kind, delay in delays.items()}


def booking(ref: str, arrival: date | str, departure: date | str, **fields) -> dict:
    def text(value):
        return value.isoformat() if isinstance(value, date) else value

    return {"reference": ref, "property": "P1", "guest_name": f"Guest {ref}",
            "guest_email": f"{ref.lower()}@guest.example", "arrival": text(arrival), "departure": text(departure),
            **{k: text(v) for k, v in fields.items()}}


def organisation(slug: str, bookings: list[dict], delays: dict[str, int] | None = None, agency: str = "mer",
                 **agency_fields) -> dict:
    return {"slug": slug, "name": "Locations", "agencies": [{
        "slug": agency, "name": "Agence de la Mer", "sender_email": SENDER, "timezone": "Europe/Paris",
        "staff": [{"email": "staff@mer.example", "name": "Anne", "morning_summary": True},
                  {"email": "other@mer.example", "name": "Paul"}],
        "properties": [{"ref": "P1", "name": "Villa Les Pins"}],
        "kinds": kinds(delays or {"after_departure": 7}), "bookings": bookings, **agency_fields}]}


def stays_ending(first: date, last: date) -> list[dict]:
    """One confirmed booking per departure day, reference D<yyyymmdd>."""
    days = (last - first).days + 1
    return [booking(f"D{(first + timedelta(days=n)):%Y%m%d}", first + timedelta(days=n - 5), first + timedelta(days=n))
            for n in range(days)]


async def draft_today(stack, day: date | None = None):
    """Run the agency's drafting (today in its zone, or `day`)."""
    return await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", day)
