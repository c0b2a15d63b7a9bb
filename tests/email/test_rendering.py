"""Emails are user content: merge fields in the organisation's locale, escaped HTML, one-line subjects."""

from datetime import date
from decimal import Decimal

import pytest

from relance.email.rendering import MergeData, TemplateProblem, merge_values, render

DATA = dict(today=date(2026, 11, 24), civility="Mme", name="Ann <Lee>", number="F-7",
            amount_incl_tax=Decimal("1234.56"), amount_excl_tax=Decimal("1028.80"), invoice_date=date(2026, 10, 1),
            due_date=date(2026, 10, 31), amount_due=Decimal("734.56"))


def test_all_merge_fields_in_french():
    values = merge_values(MergeData(locale="fr_FR", currency="EUR", **DATA))
    email = render("[[!Number]]", "[[!GENDERANDNAME]]|[[!NOW]]|[[!AmountTtc]]|[[!Amount]]|[[!InvoiceDate]]|"
                   "[[!DueDate]]|[[!AmountDue]]", values)
    assert email.text == ("Mme Ann <Lee>|24/11/2026|1\u202f234,56\xa0€|1\u202f028,80\xa0€|01/10/2026|31/10/2026|"
                          "734,56\xa0€")


def test_amounts_and_dates_follow_the_locale():
    values = merge_values(MergeData(locale="en_US", currency="USD", **DATA))
    assert (values["AmountTtc"], values["DueDate"]) == ("$1,234.56", "10/31/26")


def test_html_part_escapes_user_content_and_merge_values():
    values = merge_values(MergeData(locale="fr_FR", currency="EUR", **DATA))
    email = render("s", "<script>x</script> [[!GENDERANDNAME]]", values)
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert "Ann &lt;Lee&gt;" in email.html


def test_subject_cannot_inject_headers():
    values = merge_values(MergeData(locale="fr_FR", currency="EUR", **{**DATA, "number": "F-7\r\nBcc: evil@x.org"}))
    email = render("Facture [[!Number]]", "b", values)
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject == "Facture F-7 Bcc: evil@x.org"


def test_sandbox_refuses_unsafe_attribute_access():
    with pytest.raises(TemplateProblem):
        render("s", "{{ ''.__class__.__mro__ }}", {})


def test_simulation_keeps_raw_codes_when_no_invoice_is_behind():
    values = merge_values(MergeData(locale="fr_FR", currency="EUR", today=date(2026, 11, 24), name="Moi"))
    assert render("[[!Number]]", "[[!AmountDue]] [[!DueDate]]", values).text == "[[!AmountDue]] [[!DueDate]]"


def test_renewal_fields_and_an_unknown_contract_amount_left_empty():
    base = dict(locale="fr_FR", currency="EUR", today=date(2026, 11, 24), civility="M.", name="Jean Dupont",
                contract_ref="CT-7", customer="Dupont SA", term_end=date(2027, 2, 28))
    body = "[[!ContractRef]]|[[!Customer]]|[[!TermEnd]]|{% if ContractAmount %}[[!ContractAmount]]{% endif %}"
    known = render("s", body, merge_values(MergeData(**base, contract_amount=Decimal("1500"))))
    assert known.text == "CT-7|Dupont SA|28/02/2027|1\u202f500,00\xa0€"
    assert render("s", body, merge_values(MergeData(**base))).text == "CT-7|Dupont SA|28/02/2027|"
