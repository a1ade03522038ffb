"""The World fixture of tests/app, for the ops tests that drive the API."""

from tests.app.conftest import World, login, token_of, world  # noqa: F401
