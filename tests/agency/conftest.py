from tests.api.conftest import api  # noqa: F401  (the HTTP API in-process, for test_api)
