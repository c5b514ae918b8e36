"""The concurrency tests' shared fixture: two app processes serving one database."""

from tests.concurrency.test_races import served as served
