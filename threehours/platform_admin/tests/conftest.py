# The integrity report's browser test writes ledger entries; the flush after it must get past
# the ledger's delete trigger on SQLite.
from threehours.hours.tests.ledger_guard import (  # noqa: F401
    _ledger_flushable,
    pytest_runtest_teardown,
)
