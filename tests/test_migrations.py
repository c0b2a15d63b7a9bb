"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel


async def test_migrated_database_matches_the_models(db):
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata))
    assert diff == []


async def test_the_ledger_migration_carries_old_claims_sent_emails_and_tasks_over(postgres):
    """0004 (and back): the timeline's keyed email rows and the notices' outcomes become ledger rows (an old claim
    left 'sending' becomes uncertain, never resent); tasks say the invoice they are about."""
    import asyncio

    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from relance.migrate import alembic_config

    postgres.create_database("relance_migration_0004")  # a database of its own
    url = postgres.url("relance_migration_0004")
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0002")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for statement in (
            "INSERT INTO organisation (id, slug, name, timezone, locale, currency, dunning_enabled, "
            "dunning_apply_to_new_invoices, send_window_start, send_window_end, sender_mode) "
            "VALUES (1, 'acme', 'ACME', 'Europe/Paris', 'fr_FR', 'EUR', true, false, '09:00', '18:00', 'user')",
            "INSERT INTO account (id, org_id, ref, name) VALUES (1, 1, 'C1', 'Dupont')",
            "INSERT INTO invoice (id, org_id, number, account_id, invoice_date, due_date, amount_excl_tax, "
            "amount_incl_tax, status, do_not_remind, has_payment_schedule) "
            "VALUES (1, 1, 'F-1', 1, '2026-10-01', '2026-10-31', 100, 120, 'issued', false, false)",
            "INSERT INTO scenario (id, org_id, key, version, name) VALUES (1, 1, 'default', 1, 'Relances')",
            "INSERT INTO dunningrun (workflow_id, org_id, invoice_id, scenario_id, state, current_step, started_at) "
            "VALUES ('dunning:acme:F-1', 1, 1, 1, 'waiting', 2, now())",
            "INSERT INTO runevent (workflow_id, step_position, kind, outcome, recipient, provider_message_id, "
            "idem_key, occurred_at) VALUES ('dunning:acme:F-1', 0, 'email', 'sent', 'b@x.org', 'msg-0', "
            "'dunning:acme:F-1:0:email', now()), ('dunning:acme:F-1', 1, 'email', 'sending', 'b@x.org', null, "
            "'dunning:acme:F-1:1:email', now()), ('dunning:acme:F-1', null, 'skip', 'skipped', null, null, "
            "'dunning:acme:F-1:3:skip', now())",
            "INSERT INTO task (org_id, invoice_id, title, due_on, source_workflow_id, idem_key, created_at) "
            "VALUES (1, 1, 'Appeler', '2026-12-01', 'dunning:acme:F-1', 'dunning:acme:F-1:2:task', now())",
            "INSERT INTO contract (id, org_id, ref, account_id, start_date, period, tacit_renewal, status) "
            "VALUES (1, 1, 'CT-1', 1, '2026-01-01', 'quarterly', true, 'active')",
            "INSERT INTO renewalnotice (workflow_id, org_id, contract_id, term_end, state, outcome, recipient, "
            "provider_message_id, started_at) VALUES ('renewal:acme:CT-1:2026-12-31', 1, 1, '2026-12-31', "
            "'ended', 'sent', 'b@x.org', 'msg-r', now())",
        ):
            await conn.execute(text(statement))
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    async with engine.connect() as conn:
        ledger = (await conn.execute(text(
            "SELECT idem_key, about_kind, about_ref, state, reason, provider_message_id FROM emailledger "
            "ORDER BY idem_key"))).all()
        timeline = (await conn.execute(text("SELECT outcome FROM runevent ORDER BY id"))).scalars().all()
        tasks = (await conn.execute(text("SELECT about_kind, about_ref, title FROM task"))).all()
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0002")
    async with engine.connect() as conn:
        downgraded = (await conn.execute(text("SELECT invoice_id, title FROM task"))).all()
    await engine.dispose()
    assert [tuple(r) for r in ledger] == [
        ("dunning:acme:F-1:0:email", "invoice", "F-1", "sent", None, "msg-0"),
        ("dunning:acme:F-1:1:email", "invoice", "F-1", "uncertain", "delivery_uncertain", None),
        ("renewal:acme:CT-1:2026-12-31:email", "contract", "CT-1", "sent", None, "msg-r"),
    ]
    assert timeline == ["sent", "uncertain", "skipped"]
    assert [tuple(t) for t in tasks] == [("invoice", "F-1", "Appeler")]
    assert [tuple(t) for t in downgraded] == [(1, "Appeler")]


async def test_the_secrets_migration_seals_webhook_secrets_and_drops_answers_holding_a_secret(postgres, monkeypatch):
    """0013: with RELANCE_CODEC_KEYS set, a webhook secret stored as given is sealed (and opens to the same
    secret); a kept idempotent answer that showed an API key or a webhook secret is deleted, others stay."""
    import asyncio

    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from relance.migrate import alembic_config
    from relance.sealing import Sealer, is_sealed
    from relance.temporal.codec import new_key

    postgres.create_database("relance_migration_0013")
    url = postgres.url("relance_migration_0013")
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0002")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO organisation (id, slug, name, timezone, locale, currency, dunning_enabled, "
            "dunning_apply_to_new_invoices, send_window_start, send_window_end, sender_mode) "
            "VALUES (1, 'acme', 'ACME', 'Europe/Paris', 'fr_FR', 'EUR', true, false, '09:00', '18:00', 'user')"))
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0012_signin_throttle")
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    async with engine.begin() as conn:
        for statement in (
            "INSERT INTO apikey (id, org_id, name, prefix, key_hash, created_at) "
            "VALUES (1, NULL, 'admin', 'rlk_x', 'h', now())",
            f"INSERT INTO webhookendpoint (org_id, url, secret, enabled, created_at) "
            f"VALUES (1, 'https://hooks.example.org/', '{secret}', true, now())",
        ):
            await conn.execute(text(statement))
        answers = {"key": b'{"id":2,"key":"rlk_abc"}', "hook": f'{{"id":1,"secret":"{secret}"}}'.encode(),
                   "pay": b'{"amount_due":"1.00"}'}
        for idem_key, body in answers.items():
            await conn.execute(text("INSERT INTO idempotentrequest (api_key_id, idem_key, request_hash, status, "
                                    "body) VALUES (1, :idem_key, :idem_key, 201, :body)"),
                               {"idem_key": idem_key, "body": body})
    keys = f"k1:{new_key()}"
    monkeypatch.setenv("RELANCE_CODEC_KEYS", keys)
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT secret FROM webhookendpoint"))).scalar_one()
        kept = (await conn.execute(text("SELECT idem_key FROM idempotentrequest"))).scalars().all()
    await engine.dispose()
    assert is_sealed(stored) and secret not in stored and Sealer(keys).open(stored) == secret
    assert kept == ["pay"]
