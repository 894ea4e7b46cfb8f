"""The real Secret Service fixture, for the test that follows a token to the engine."""

from tests.credentials.conftest import secret_service  # noqa: F401 - a fixture
