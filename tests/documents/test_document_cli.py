"""`relance document` as a user types it, and `relance mail --show` listing the attachment."""

from __future__ import annotations

import pytest
import yaml

from relance.local.ses import sent_messages
from tests import factories as f
from tests.documents.conftest import PDF
from tests.documents.test_attachments import ATTACHING
from tests.test_cli import relance, until


@pytest.mark.slow
async def test_add_list_attach_show_delete(dev_stack, mailer, ses_endpoint, tmp_path):
    client, task_queue, env = dev_stack
    slug = f"doc-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    data = {"organisations": [f.org(ATTACHING, slug=slug, invoices=[f.invoice("F-1", payment_url="https://pay.example.com/F-1")])]}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tmp_path / "Facture F-1.pdf").write_bytes(PDF)
    (tmp_path / "virus.pdf").write_bytes(b"MZ\x90\x00")
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0

    added = await relance(env, "document", "add", slug, str(tmp_path / "Facture F-1.pdf"), "--invoice", "F-1")
    assert added.returncode == 0, added.stderr
    assert f"Facture F-1.pdf (application/pdf, {len(PDF):,} bytes), invoice F-1" in added.stdout
    refused = await relance(env, "document", "add", slug, str(tmp_path / "virus.pdf"), "--invoice", "F-1")
    assert refused.returncode == 2 and "field file is not a document relance attaches" in refused.stderr
    internal = await relance(env, "document", "add", slug, "--url", "http://169.254.169.254/latest/meta-data/")
    assert internal.returncode == 2 and "not a public address" in internal.stderr
    listed = await relance(env, "document", "list", slug)
    assert "1 document(s)" in listed.stdout and "invoice F-1" in listed.stdout

    await relance(env, "sweep", "--org", slug)
    await until(lambda: len(sent_messages(ses_endpoint)) == 1)
    shown = await relance(env, "mail", "--show", "-1")
    print(shown.stdout)
    assert f"  attachment: Facture F-1.pdf (application/pdf, {len(PDF):,} bytes)" in shown.stdout

    key = listed.stdout.split()[0]
    deleted = await relance(env, "document", "delete", slug, key)
    assert deleted.returncode == 0 and "0 document(s)" in (await relance(env, "document", "list", slug)).stdout
