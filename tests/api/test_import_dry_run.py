"""POST /v1/imports?dry_run=true answers what the file would change and writes nothing (issue 21)."""

from sqlmodel import select

from models import Account, Organisation


async def test_a_dry_run_answers_the_change_and_leaves_the_organisation_as_it_was(api):
    slug = api.stack.slug
    response = await api.post("/v1/imports?dry_run=true", {"organisations": [
        {"slug": slug, "dunning": {"enabled": False}, "accounts": [{"ref": "C9", "name": "Neuf"}]}]})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["dry_run"] is True and answer["runs_started"] == 0
    changed = {s["section"]: (s["created"], s["updated"]) for s in answer["changes"] if s["created"] or s["updated"]}
    assert changed == {"settings": ([], {slug: {"dunning_enabled": {"before": True, "after": False}}}),
                       "accounts": (["C9"], {})}
    async with api.stack.db.session() as session:
        org = (await session.exec(select(Organisation).where(Organisation.slug == slug))).one()
        account = (await session.exec(select(Account).where(Account.ref == "C9"))).first()
    assert org.dunning_enabled and account is None
