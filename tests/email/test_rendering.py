"""Emails are user content: merge fields in the organisation's locale, escaped HTML, one-line subjects."""

import contextlib
import time
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from relance.dunning import merge_fields as invoice_fields
from relance.email.recipient import Recipient
from relance.email.rendering import MERGE_FIELD, TemplateProblem, render, render_budget, template_problems
from relance.renewal import merge_fields as renewal_fields

NOW_AT = datetime(2026, 11, 24, 10, tzinfo=ZoneInfo("Europe/Paris"))
ANN = Recipient("ann@x.example.org", "Mme", "Ann <Lee>", "billing_contact")


def org(locale="fr_FR", currency="EUR"):
    return SimpleNamespace(locale=locale, currency=currency, timezone="Europe/Paris", late_interest_rate=None)


def invoice_values(locale="fr_FR", currency="EUR", number="F-7"):
    invoice = SimpleNamespace(number=number, amount_incl_tax=Decimal("1234.56"), amount_excl_tax=Decimal("1028.80"),
                              invoice_date=date(2026, 10, 1), due_date=date(2026, 10, 31), payment_url=None)
    file = SimpleNamespace(org=org(locale, currency), invoice=invoice, amount_due=Decimal("734.56"),
                           account=SimpleNamespace(language=None))
    return invoice_fields.values(file, ANN, NOW_AT)


def test_all_merge_fields_in_french():
    email = render("[[!Number]]", "[[!GENDERANDNAME]]|[[!NOW]]|[[!AmountTtc]]|[[!Amount]]|[[!InvoiceDate]]|"
                   "[[!DueDate]]|[[!AmountDue]]", invoice_values())
    assert email.text == ("Mme Ann <Lee>|24/11/2026|1\u202f234,56\xa0€|1\u202f028,80\xa0€|01/10/2026|31/10/2026|"
                          "734,56\xa0€")


def test_amounts_and_dates_follow_the_locale():
    values = invoice_values(locale="en_US", currency="USD")
    assert (values["AmountTtc"], values["DueDate"]) == ("$1,234.56", "10/31/26")


def test_html_part_escapes_user_content_and_merge_values():
    email = render("s", "<script>x</script> [[!GENDERANDNAME]]", invoice_values())
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert "Ann &lt;Lee&gt;" in email.html


def test_subject_cannot_inject_headers():
    email = render("Facture [[!Number]]", "b", invoice_values(number="F-7\r\nBcc: evil@x.org"))
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject == "Facture F-7 Bcc: evil@x.org"


def test_sandbox_refuses_unsafe_attribute_access():
    with pytest.raises(TemplateProblem):
        render("s", "{{ ''.__class__.__mro__ }}", {})


def test_simulation_keeps_raw_codes_when_no_invoice_is_behind():
    values = {"GENDERANDNAME": "Moi", "NOW": "24/11/2026"}
    email = render("[[!Number]]", "[[!AmountDue]] [[!DueDate]]", values, missing_as_codes=True)
    assert (email.subject, email.text) == ("[[!Number]]", "[[!AmountDue]] [[!DueDate]]")


def test_a_field_with_no_value_fails_the_render_unless_asked_to_stay_a_code():
    with pytest.raises(TemplateProblem):
        render("s", "[[!AmountDue]]", {})


def test_renewal_fields_and_an_unknown_contract_amount_left_empty():
    def values(amount):
        contract = SimpleNamespace(ref="CT-7", amount=amount)
        file = SimpleNamespace(org=org(), contract=contract, account=SimpleNamespace(name="Dupont SA"))
        return renewal_fields.values(file, Recipient("j@x.example.org", "M.", "Jean Dupont", "contract"),
                                     date(2027, 2, 28), NOW_AT)

    body = "[[!ContractRef]]|[[!Customer]]|[[!TermEnd]]|{% if ContractAmount %}[[!ContractAmount]]{% endif %}"
    assert render("s", body, values(Decimal("1500"))).text == "CT-7|Dupont SA|28/02/2027|1\u202f500,00\xa0€"
    assert render("s", body, values(None)).text == "CT-7|Dupont SA|28/02/2027|"


def test_each_domain_fills_in_every_field_it_declares_and_no_other():
    assert set(invoice_values()) == set(invoice_fields.FIELDS)
    assert "Number" not in renewal_fields.FIELDS and "ContractRef" not in invoice_fields.FIELDS
    problems = template_problems("[[!Number]]", "[[!ContractRef]]", renewal_fields.FIELDS)
    assert problems == [f"subject: unknown merge field(s) [[!Number]]; known: "
                        f"{', '.join(f'[[!{k}]]' for k in renewal_fields.FIELDS)}"]


def test_the_rendering_engine_names_no_domain_field():
    from pathlib import Path

    import relance.email

    for path in Path(relance.email.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert not {"Number", "AmountDue", "ContractRef", "TermEnd"} & set(MERGE_FIELD.findall(source)), path
        assert "MergeData" not in source, path


NESTED_SILENT_LOOPS = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"


@pytest.mark.parametrize("body", [
    NESTED_SILENT_LOOPS,  # prints nothing: the size limit never stops it
    "{% macro twice(n) %}{% if n %}{{ twice(n - 1) }}{{ twice(n - 1) }}{% endif %}{% endmacro %}{{ twice(60) }}",
    "{% for a in range(3000) if a %}{% for b in 'x' * 30000 %}{% endfor %}{% endfor %}",
])
def test_a_template_that_runs_too_long_is_stopped_at_the_time_limit(body):
    began = time.monotonic()
    with pytest.raises(TemplateProblem, match="body: runs for more than 1 s"):
        render("s", body, {})
    assert time.monotonic() - began < 5


def test_renders_of_one_request_share_a_budget():
    with render_budget(1.5), pytest.raises(TemplateProblem, match="ran out"):
        for _ in range(3):
            with contextlib.suppress(TemplateProblem):
                render("s", NESTED_SILENT_LOOPS, {})
            render("s", "{% for a in range(3) %}{% endfor %}", {})


def test_range_is_bounded_and_named_not_a_crash():
    with pytest.raises(TemplateProblem, match=r"body: range\(\) of 1,000,000,000 items; at most 10,000"):
        render("s", "{% for i in range(10**9) %}{% endfor %}", {})
    assert render("s", "{{ range(10000) | length }}", {}).text == "10000"


def test_a_template_cannot_grow_a_list_or_a_dict():
    for body in ("{% set x = [] %}{% for i in range(10) %}{{ x.append(i) }}{% endfor %}",
                 "{% set d = {} %}{{ d.update(a=1) }}"):
        with pytest.raises(TemplateProblem, match="unsafe"):
            render("s", body, {})


def test_an_error_in_the_template_code_is_a_template_problem():
    for body in ("{{ 1 / 0 }}", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}"):
        with pytest.raises(TemplateProblem, match="body: "):
            render("s", body, {})


LONG = '{% set long = "x" * 500000 %}'


@pytest.mark.parametrize("body", [
    LONG + "{% set ns = namespace(s=long) %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    LONG + "{% set ns = namespace(s=long) %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    LONG + "{{ [long, long, long] }}",
    LONG + "{{ long.replace('', long) }}",
    LONG + "{{ ''.join([long, long]) }}",
    '{{ "{:>999999999}".format(1) }}',
    '{{ "%*d" % (10**9, 1) }}',
    '{{ "x" | center(10**9) }}',
])
def test_a_template_cannot_build_a_huge_value_that_prints_nothing_or_little(body):
    """Each would take gigabytes before the output limit could see it: refused before it is built."""
    with pytest.raises(TemplateProblem, match="more than 512 KB|a width of 100,000"):
        render("s", body, {})


def test_ordinary_formatting_still_renders():
    body = '{{ "%05d" % 42 }} {{ "{:>4}".format("a") }} {{ ["a", "b"] | join(", ") }} {{ "a" ~ 1 }} {{ [1, 2] }}'
    assert render("s", body, {}).text == '00042    a a, b a1 [1, 2]'
