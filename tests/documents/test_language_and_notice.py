"""The customer's language picks the template's translation and the locale of the amounts, and a formal
notice states the L441-10 indemnity and the late-payment interest."""

from __future__ import annotations

from tests import factories as f

NOTICE = {"key": "first", "name": "Mise en demeure", "subject": "Mise en demeure : facture [[!Number]]",
          "body": "Reste dû : [[!AmountDue]], [[!DaysLate]] jours de retard. Indemnité forfaitaire : "
                  "[[!RecoveryIndemnity]]. Intérêts au taux de [[!LateInterestRate]] : [[!LateInterest]].",
          "translations": {"en": {
              "subject": "Formal notice: invoice [[!Number]]",
              "body": "Still due: [[!AmountDue]], [[!DaysLate]] days late. Fixed recovery indemnity: "
                      "[[!RecoveryIndemnity]]. Interest at [[!LateInterestRate]]: [[!LateInterest]]."}}}


def account(ref: str, email: str, **fields) -> dict:
    return {"ref": ref, "name": ref, "email": email, **fields}


async def test_an_english_customer_gets_the_english_template_and_english_amounts(stack):
    await stack.mailer.verify(f.SENDER)
    accounts = [account("C1", "fr@dupont.example.org"), account("C2", "en@smith.example.com", language="en-GB"),
                account("C3", "nl@jansen.example.be", language="nl-BE")]
    invoices = [f.invoice("F-1", account="C1"), f.invoice("F-2", account="C2"), f.invoice("F-3", account="C3")]
    await stack.load(stack.org(f.ONE_REMINDER, templates=[NOTICE], accounts=accounts, invoices=invoices,
                               dunning={"late_interest_rate": "12.15"}))
    runs = [await stack.start(number, customer) for number, customer in (("F-1", "C1"), ("F-2", "C2"), ("F-3", "C3"))]
    for run in runs:
        await run.result()

    sent = {m["destinations"]["to"][0]: m for m in stack.sent()}
    # 1,200 € due for 20 days at 12.15 % a year: 1200 x 0.1215 x 20 / 365 = 7.989... -> 7.99
    french = sent["fr@dupont.example.org"]
    assert french["subject"] == "Mise en demeure : facture F-1"
    assert french["text"].strip() == ("Reste dû : 1\u202f200,00\xa0€, 20 jours de retard. Indemnité forfaitaire : "
                                      "40,00\xa0€. Intérêts au taux de 12,15\xa0% : 7,99\xa0€.")
    english = sent["en@smith.example.com"]
    assert english["subject"] == "Formal notice: invoice F-2"
    assert english["text"].strip() == ("Still due: €1,200.00, 20 days late. Fixed recovery indemnity: €40.00. "
                               "Interest at 12.15%: €7.99.")
    # No Dutch translation: the organisation's template, with the amounts in the customer's locale.
    dutch = sent["nl@jansen.example.be"]
    assert dutch["subject"] == "Mise en demeure : facture F-3"
    assert "Reste dû : €\xa01.200,00" in dutch["text"]


async def test_without_a_rate_no_interest_is_stated(stack):
    await stack.mailer.verify(f.SENDER)
    template = {**NOTICE, "translations": {},
                "body": "Indemnité : [[!RecoveryIndemnity]]."
                        "{% if LateInterest %} Intérêts : [[!LateInterest]].{% endif %}"}
    await stack.load(stack.org(f.ONE_REMINDER, templates=[template], invoices=[f.invoice()]))
    await (await stack.start()).result()
    [message] = stack.sent()
    assert message["text"].strip() == "Indemnité : 40,00\xa0€."
