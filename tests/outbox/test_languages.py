"""Every page of the outbox and every email relance writes itself, in French and in English: the same
pages read by two people of one agency, one reading French, one English, over the real app and the
test stack (SES, Temporal, PostgreSQL). A text on a page or in an email that is neither data (names,
addresses, subjects, references) nor the catalogue's text in the reader's language fails the test:
a string left out of the catalogue, or shown without being translated, is caught in both languages."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

from sqlmodel import select

from models import Agency, Booking, Draft
from relance import i18n
from relance.documents.kinds import ACCEPTED
from starter import agency as agency_starter
from tests.outbox.conftest import CSRF, PASSWORD
from tests.outbox.test_pages import finished

PLACEHOLDER = re.compile(r"%\(\w+\)s|<[^>]+>|\n")
WORD = re.compile(r"[^\W\d_]{2,}")
# The product, a zone, each language's own name, the file formats a draft may carry (PDF, DOCX...).
ALWAYS = ["relance", "Europe/Paris", "Français", "English", *ACCEPTED.split(", ")]


class Visible(HTMLParser):
    """The text a person reads or hears on a page: text nodes, and labels given as attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        self.skipping += tag in ("script", "style")
        self.parts += [value for name, value in attrs if name in ("aria-label", "title", "placeholder", "alt")
                       and value]

    def handle_endtag(self, tag):
        self.skipping -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def fragments(language: str) -> set[str]:
    """The catalogue's text in `language`, cut at placeholders, tags and lines."""
    texts = []
    for message in i18n.translations(language)._catalog.values():
        texts += [part.strip() for part in PLACEHOLDER.split(message) if part.strip()]
    return set(texts)


def untranslated(text: str, language: str, data: list[str]) -> list[str]:
    """The words of `text` that are neither data nor the catalogue's text in `language`."""
    for known in sorted({*data, *fragments(language), *ALWAYS}, key=len, reverse=True):  # longest first
        text = re.sub(_whole(known), " ", text)
    return WORD.findall(text)


def _whole(known: str) -> str:
    """`known` where it is not part of a longer word ("x" is not the x of "Expiration")."""
    return "".join([r"(?<!\w)" if re.match(r"\w", known) else "", re.escape(known),
                    r"(?!\w)" if re.search(r"\w$", known) else ""])


def page_text(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


async def data_of(outbox) -> list[str]:
    """What the pages show as it is: the agency's, the bookings' and the drafts' own text."""
    async with outbox.stack.db.session() as session:
        agencies = (await session.exec(select(Agency))).all()
        bookings = (await session.exec(select(Booking))).all()
        drafts = (await session.exec(select(Draft))).all()
    values = [a.name for a in agencies] + [a.sender_email for a in agencies] + [a.from_name for a in agencies]
    values += [v for b in bookings for v in (b.reference, b.guest_name, b.guest_email)] + ["Villa Les Pins"]
    values += [v for d in drafts for v in (d.subject, *d.body.splitlines(), d.recipient)]
    return [v for v in values if v] + ["ana@agency.example", "bob@agency.example", "nobody@agency.example"]


def read_in(language: str, html: str, data: list[str], where: str) -> None:
    assert f'<html lang="{language}">' in html, where
    left = untranslated(page_text(html), language, data)
    assert left == [], f"{where} in {language}: not translated: {left}"


async def pages_of(outbox, reader, drafts: dict[str, Draft]) -> dict[str, str]:
    """Every page of the outbox a signed-in person meets, as `reader` (a signed-in browser) gets it."""
    pages = {}
    for kind in ("balance", "arrival", "option", "after_departure"):
        pages[f"tab {kind}"] = await reader.get(f"/outbox/agencies/nord/tabs/{kind}")
    draft = f"/outbox/agencies/nord/drafts/{drafts['option'].id}"
    pages["draft"] = await reader.get(draft)
    pages["draft flagged"] = await reader.get(f"/outbox/agencies/nord/drafts/{drafts['arrival'].id}")
    pages["withdrawn draft"] = await reader.get(f"/outbox/agencies/nord/drafts/{drafts['withdrawn'].id}")
    pages["saved"] = await reader.get(draft + "?saved=saved")
    pages["closed"] = await reader.get("/outbox/agencies/nord/closed")
    pages["booking"] = await reader.get("/outbox/agencies/nord/bookings/NORD-BAL")
    pages["booking withdrawn"] = await reader.get("/outbox/agencies/nord/bookings/NORD-PAID")
    pages["booking option"] = await reader.get("/outbox/agencies/nord/bookings/NORD-OPT")
    pages["confirm"] = await reader.get("/outbox/agencies/nord/tabs/balance/send")
    pages["confirm empty"] = await reader.get("/outbox/agencies/nord/tabs/after_departure/send")
    pages["reports"] = await reader.get("/outbox/reports")
    pages["reports bad period"] = await reader.get("/outbox/reports?from=2026-12-31&to=2026-01-01")
    pages["account"] = await reader.get("/outbox/account")
    pages["account saved"] = await reader.get("/outbox/account?saved=password")
    pages["account wrong password"] = await reader.submit("/outbox/account", "/outbox/account/password",
                                                          current_password="wrong wrong", new_password="x",
                                                          repeat_password="y")
    pages["no such agency"] = await reader.get("/outbox/agencies/nowhere/tabs/arrival")
    pages["no such tab"] = await reader.get("/outbox/agencies/nord/tabs/nowhere")
    pages["no such draft"] = await reader.get("/outbox/agencies/nord/drafts/999999")
    pages["no such booking"] = await reader.get("/outbox/agencies/nord/bookings/NOWHERE")
    pages["no such language"] = await reader.submit("/outbox/account", "/outbox/account/language", language="de")
    pages["forged form"] = await reader.http.post("/outbox/signout", data={"csrf": "forged"})
    pages["nothing confirmed"] = await reader.submit("/outbox/agencies/nord/tabs/balance/send",
                                                     "/outbox/agencies/nord/tabs/balance/send", drafts="")
    pages["altered form"] = await reader.submit("/outbox/agencies/nord/tabs/balance/send",
                                                "/outbox/agencies/nord/tabs/balance/send", drafts="1,x")
    return {name: answer.text for name, answer in pages.items()}


async def test_every_page_and_email_reads_in_french_and_in_english(outbox):
    await outbox.account("ana@agency.example", language="fr")
    await outbox.account("bob@agency.example", language="en")
    drafts = (await outbox.agencies(summary=True, nord=["ana@agency.example", "bob@agency.example"]))["nord"]
    # An edited draft whose booking then moves is flagged (the flag reads in each language).
    arrival = f"/outbox/agencies/nord/drafts/{drafts['arrival'].id}"
    today = await outbox.stack.today()
    async with outbox.signed_in("carl@agency.example", language=None) as carl:  # no agency: the organisation's
        no_agency = (await carl.get("/outbox/")).text
    async with outbox.browser(language="fr") as ana, outbox.browser(language="en") as bob:
        for browser, email in ((ana, "ana@agency.example"), (bob, "bob@agency.example")):
            assert (await browser.sign_in(email)).status_code == 303
        assert (await ana.submit(arrival, arrival, version="1", subject="Arrivée", body="Bonjour",
                                 action="save")).status_code == 303
        moved = {"reference": "NORD-ARR", "property": "P1", "guest_name": "Guest NORD-ARR",
                 "guest_email": "nord-arr@guest.example", "arrival": (today + timedelta(days=6)).isoformat(),
                 "departure": (today + timedelta(days=12)).isoformat()}
        await agency_starter.report_booking(None, outbox.stack.db, outbox.stack.task_queue, outbox.stack.slug,
                                            "nord", moved, today)
        french, english = await pages_of(outbox, ana, drafts), await pages_of(outbox, bob, drafts)
        # The reports page's language switch holds when the period is refused, too.
        english["reports bad day, switched"] = (await ana.get("/outbox/reports?lang=en&to=0001-01-05")).text
        french["reports bad day, switched"] = (await bob.get("/outbox/reports?lang=fr&to=0001-01-05")).text
        stale = await ana.http.post(arrival, data={"csrf": CSRF.search((await ana.get(arrival)).text).group(1),
                                                   "version": "1", "subject": "Sujet périmé", "body": "Texte périmé",
                                                   "action": "save"})
        french["conflict"], english["conflict"] = stale.text, (await bob.http.post(arrival, data={
            "csrf": CSRF.search((await bob.get(arrival)).text).group(1), "version": "1", "subject": "Sujet périmé",
            "body": "Texte périmé", "action": "save"})).text
        confirm = "/outbox/agencies/nord/tabs/balance/send"
        started = await ana.submit(confirm, confirm, drafts=str(drafts["balance"].id))
        english["batch"] = (await finished(outbox, bob, started.headers["location"])).text
        french["batch"] = (await ana.get(started.headers["location"])).text
    data = await data_of(outbox) + ["Arrivée", "Bonjour", "Sujet périmé", "Texte périmé", "carl@agency.example",
                                    "nowhere", "NOWHERE", "de"]  # what was typed
    data += ["dunning", "marketing", "pipeline"]  # the reports' names, as their CSV files and the API name them
    assert "Rappel arrivées" in french["tab arrival"] and "Arrival reminders" in english["tab arrival"]
    assert "<h1>Rapports</h1>" in french["reports"] and "<h1>Reports</h1>" in english["reports"]
    assert "Le premier jour (2026-12-31) est après le dernier" in french["reports bad period"]
    assert "to: 0001-01-05 is not a day between 1900-01-01 and 2200-12-31" in english["reports bad day, switched"]
    assert "Le dernier jour (0001-01-05) n&#39;est pas entre le 1900-01-01 et le 2200-12-31" in french[
        "reports bad day, switched"]
    for name in french:
        read_in("fr", french[name], data, name)
        read_in("en", english[name], data, name)
    read_in("fr", no_agency, data, "no agency")  # fr_FR: French, whatever the browser asks for
    assert "L&#39;arrivée est passée du" in french["draft flagged"] and "The arrival moved from" in english[
        "draft flagged"]

    for language, reader in (("fr", "ana@agency.example"), ("en", "bob@agency.example")):
        [summary] = [m for m in outbox.stack.sent() if m["destinations"]["to"] == [reader]]
        assert "/outbox/agencies/nord" in summary["body"]  # the summary links to the outbox
        left = untranslated(summary["subject"] + "\n" + page_text(summary["body"]), language,
                            data + ["http", "outbox", "agencies", "nord", "ana", "bob"])
        assert left == [], f"the summary email in {language}: {left}"
    french_summary = next(m for m in outbox.stack.sent() if m["destinations"]["to"] == ["ana@agency.example"])
    assert "Rappel arrivées\u00a0: 1" in french_summary["body"]


async def test_the_sign_in_pages_and_the_link_email_read_in_the_persons_language(outbox):
    await outbox.agencies(nord=["ana@agency.example", "bob@agency.example", "eve@agency.example"])
    await outbox.account("ana@agency.example", password=None, language="fr")
    await outbox.account("bob@agency.example", password=None, language=None)  # the agency's: French
    await outbox.account("eve@agency.example", password=None, language="en")
    data = await data_of(outbox) + ["eve@agency.example", "nope@agency.example"]
    for language in ("fr", "en"):
        async with outbox.browser(language=language) as stranger, \
                outbox.browser("203.0.113.9", language=language) as guesser:
            pages = {"sign-in": await stranger.get("/outbox/signin"),
                     "wrong password": await stranger.sign_in("nope@agency.example", PASSWORD),
                     "link sent": await stranger.submit("/outbox/signin", "/outbox/signin/link",
                                                        email="nope@agency.example"),
                     "link": await stranger.get("/outbox/signin/link/not-a-token"),
                     "used link": await stranger.submit("/outbox/signin/link/x", "/outbox/signin/link/x")}
            for _ in range(31):
                pages["too many"] = await guesser.sign_in("nope@agency.example", PASSWORD)
        assert pages["too many"].status_code == 429
        for name, answer in pages.items():
            read_in(language, answer.text, data, name)
    async with outbox.browser() as someone:
        for email in ("ana@agency.example", "bob@agency.example", "eve@agency.example"):
            await someone.submit("/outbox/signin", "/outbox/signin/link", email=email)
    emails = {m["destinations"]["to"][0]: m for m in outbox.stack.sent()}
    for reader, language in (("ana@agency.example", "fr"), ("bob@agency.example", "fr"),
                             ("eve@agency.example", "en")):
        email = emails[reader]
        link = re.search(r'http://[^\s"<>]+/outbox/signin/link/[^\s"<>]+', email["body"]).group(0)
        left = untranslated(email["subject"] + "\n" + page_text(email["body"]), language, data + [link])
        assert left == [], f"the sign-in email to {reader} in {language}: {left}"
    assert emails["eve@agency.example"]["subject"] == "Your sign-in link to the Agence nord outbox"
    assert emails["ana@agency.example"]["subject"] == "Votre lien de connexion à la boîte d'envoi de Agence nord"
