"""The real Secret Service fixtures: one that works, and a session without one."""

from tests.credentials.conftest import no_secret_service, secret_service  # noqa: F401 - fixtures
