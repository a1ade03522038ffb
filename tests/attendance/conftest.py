from tests.app.conftest import world  # noqa: F401  (the REST tests' world of two groups)
from tests.facilitation.conftest import sqlite_stage, stage  # noqa: F401
