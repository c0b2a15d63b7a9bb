"""`relance agency …` as a person types it, on the dev server: import an agency (its nightly drafting
Schedule is made), draft now, the summary, a tab, send the tab, the emails in `relance mail`, history;
then a tab sent while the send window is closed, told when it goes."""

from datetime import UTC, datetime

import yaml

from tests.agency import data
from tests.test_cli import relance


async def test_import_draft_summary_send_a_tab_and_see_the_mail(dev_stack, mailer, tmp_path):
    _, task_queue, env = dev_stack
    slug = f"agc-{task_queue[-8:]}"
    await mailer.verify(data.SENDER)
    bookings = [data.booking("R1", "today+5", "today+12"), data.booking("R2", "today+6", "today+9"),
                data.booking("R3", "today-10", "today-4")]
    organisation = data.organisation(slug, bookings, {"arrival": 7, "after_departure": 3})
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"organisations": [organisation]}, allow_unicode=True))
    imported = await relance(env, "import", str(tmp_path / "data.yaml"))
    assert imported.returncode == 0 and "3 bookings" in imported.stdout, imported.stdout + imported.stderr
    assert f"agency-drafting:{slug}:mer" in imported.stdout

    drafted = await relance(env, "agency", "draft", slug, "mer")
    assert drafted.returncode == 0 and "3 drafted (2 arrival, 1 after_departure)" in drafted.stdout, drafted.stderr
    summary = await relance(env, "agency", "summary", slug, "mer")
    assert "3 waiting" in summary.stdout and "arrival: 2" in summary.stdout, summary.stdout
    tab = await relance(env, "agency", "tab", slug, "mer", "arrival")
    assert "R1 Guest R1 <r1@guest.example>" in tab.stdout and "2 draft(s)" in tab.stdout

    sent = await relance(env, "agency", "send", slug, "mer", "arrival", "--yes", "--by", "anne")
    assert sent.returncode == 0 and "2 sent, 0 withdrawn, 0 failed, 0 skipped of 2" in sent.stdout, sent.stderr
    mail = await relance(env, "mail")
    assert "r1@guest.example" in mail.stdout and "Votre séjour R2 à Villa Les Pins" in mail.stdout
    history = await relance(env, "agency", "history", slug, "mer", "R1")
    assert "arrival due" in history.stdout and ": sent by anne" in history.stdout, history.stdout

    opens_at, closes_at = data.window_closed_at(datetime.now(UTC))  # evening at the agency: the window closes
    organisation["agencies"][0]["send_window"] = [opens_at.isoformat("minutes"), closes_at.isoformat("minutes")]
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"organisations": [organisation]}, allow_unicode=True))
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0
    later = await relance(env, "agency", "send", slug, "mer", "after_departure", "--yes")
    assert later.returncode == 0, later.stderr
    assert "the agency's send window is closed: they go from " in later.stdout
    assert f"{opens_at:%H:%M} (Europe/Paris)" in later.stdout
    assert "r3@guest.example" not in (await relance(env, "mail")).stdout
