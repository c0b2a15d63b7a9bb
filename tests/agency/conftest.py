import pytest

from tests.api.conftest import api  # noqa: F401  (the HTTP API in-process, for test_api)


@pytest.fixture(autouse=True)
def real_time(request):
    """The agency's runs have no timers: they run in real time. With auto time skipping the test server's
    clock may jump years ahead once nothing waits (TEMPORAL.md, pitfall 4), and a draft is sendable only
    until its date, judged at the send run's business time (today)."""
    if "stack" not in request.fixturenames:
        yield
        return
    with request.getfixturevalue("stack").env.auto_time_skipping_disabled():
        yield
