"""`relance customer set|rules|statement`: per-customer dunning from the command line, through the same
starter functions as the HTTP API (starter/dunning_customer.py)."""

from __future__ import annotations

import json

import click

from relance.cli.common import group, runs

customer = group("customer", help="per-customer dunning: an account's scenario and tags, the assignment rules, "
                                  "the customer statement")
COMMANDS = [customer]


@runs(customer, "set", help="an account's own dunning scenario and its tags")
@click.argument("org")
@click.argument("account")
@click.option("--scenario", help="a dunning scenario's key; 'none' clears it")
@click.option("--tags", help="comma-separated tags, replacing the account's ('' clears them)")
async def _set(settings, args, with_db, say) -> int:
    from pydantic import ValidationError

    from starter.dunning_customer import AccountDunningChange, change_account

    given = {}
    if args.scenario is not None:
        given["scenario"] = None if args.scenario.lower() == "none" else args.scenario
    if args.tags is not None:
        given["tags"] = [t.strip() for t in args.tags.split(",") if t.strip()]
    try:
        change = AccountDunningChange(**given)
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    saved = await with_db(settings, lambda db: change_account(db, args.org, args.account, change))
    say(f"account {saved.account}: scenario {saved.scenario or '(rules, then the default)'}; "
        f"tags {', '.join(saved.tags) or '-'}")
    return 0


@runs(customer, "rules", help="list the assignment rules, or replace them with --set")
@click.argument("org")
@click.option("--set", metavar="JSON", help='''e.g. '[{"tag": "vip", "scenario": "gentle"}, '''
                                             '''{"min_due": "5000", "scenario": "firm"}]'; [] clears them''')
async def _rules(settings, args, with_db, say) -> int:
    from pydantic import ValidationError

    from starter.dunning_customer import ScenarioRules, change_rules, read_rules

    if args.set is not None:
        try:
            rules = ScenarioRules(rules=json.loads(args.set))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ValueError(f"--set: {exc}") from exc
        saved = await with_db(settings, lambda db: change_rules(db, args.org, rules))
    else:
        saved = await with_db(settings, lambda db: read_rules(db, args.org))
    for n, rule in enumerate(saved.rules, 1):
        what = f"tag {rule.tag}" if rule.tag else f"amount due from {rule.min_due or 0} to {rule.max_due or '∞'}"
        say(f"  {n}. {what} → scenario {rule.scenario}")
    say(f"{len(saved.rules)} rule(s); no match: the account's own scenario if set first, else the default")
    return 0


@runs(customer, "statement", help="a customer's open invoices and total due; --send sends it now")
@click.argument("org")
@click.argument("account")
@click.option("--json", is_flag=True, help="as the API answers it")
@click.option("--send", is_flag=True, help="send it now to the account's billing address")
async def _statement(settings, args, with_db, say) -> int:
    from relance.email.mailer import SesMailer
    from starter.dunning_customer import send_statement, statement

    mailer = SesMailer(settings)
    if args.send:
        made, result = await with_db(settings, lambda db: send_statement(db, mailer, args.org, args.account))
    else:
        made, result = await with_db(settings, lambda db: statement(db, mailer, args.org, args.account)), None
    email = made.composition.email
    if args.json:
        say(json.dumps({"account": made.account, "name": made.name,
                        "invoices": [{**vars(line), "invoice_date": line.invoice_date.isoformat(),
                                      "due_date": line.due_date.isoformat(), "amount_due": str(line.amount_due),
                                      "amount_incl_tax": str(line.amount_incl_tax)} for line in made.lines],
                        "totals": {c: str(a) for c, a in made.totals.items()},
                        "recipient": email.to if email else None,
                        "message_id": result.message_id if result else None}, ensure_ascii=False, indent=2))
        return 0
    say(f"To: {email.to}\nSubject: {email.subject}\n" if email else
        f"(cannot be sent: {made.composition.reason}: {made.composition.detail})\n")
    say(made.text)
    if result is not None:
        say(f"\nsent: {result.status.value} [{result.message_id}]")
    return 0
