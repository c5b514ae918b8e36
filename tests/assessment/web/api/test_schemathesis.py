"""Schema-driven fuzzing of the JSON API (Schemathesis), on SQLite and PostgreSQL, with a valid
read-write token: no server error, and every answer documented and matching its schema.

Each operation gets a bounded number of generated requests three ways: valid values with the
demo organisation's real ids in the path (answers with data), valid values with any ids
(mostly 404s), and invalid values (negative cases: 422s)."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.assessment.web.api.conftest import ApiWorld

# Generated requests per operation, way and database: the whole test takes about a minute
# on two cores (PostgreSQL most of it).
MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def real_ids(world: ApiWorld) -> dict[str, int]:
    """Ids of the demo organisation's rows, by path parameter."""
    return {"organisation_id": world.org.id or 0, "round_id": world.rounds[1].id or 0,
            "action_id": world.action.id or 0, "workshop_id": world.workshop.id or 0}


def _run(strategy: st.SearchStrategy[Any], world: ApiWorld) -> None:
    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=world.auth(world.write), checks=CHECKS)

    check()


def test_the_api_answers_every_request_as_documented(app: FastAPI, world: ApiWorld) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    real = real_ids(world)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        names = [p.name for p in operation.path_parameters]
        ways = [("real ids", operation.as_strategy(
            GenerationMode.POSITIVE, path_parameters={n: real[n] for n in names}))]
        if names:
            ways.append(("any ids", operation.as_strategy(GenerationMode.POSITIVE)))
        ways.append(("invalid values", operation.as_strategy(GenerationMode.NEGATIVE)))
        for way, strategy in ways:
            try:
                _run(strategy, world)
            except Exception as exc:  # collect every operation's failure, then report them
                failures.append(f"{operation.label} ({way}): {exc}")
    assert failures == [], "\n\n".join(failures)
