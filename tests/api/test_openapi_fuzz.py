"""The OpenAPI document tells the truth: schemathesis generates requests from it (valid and invalid ones, a
bounded number per operation, derandomized so a run is repeatable) against a real server process on each
database, and every answer must be a documented status with a body of the documented shape, never a 5xx.

A new endpoint is covered by being in the document: the operations are read from the document itself.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from sauti import __version__
from sauti.api.textus import openapi as textus_openapi
from sauti.api.textus.router import RESOURCES
from sauti.app import create_app
from sauti.settings import Settings
from tests.conftest import Backend, Tenant, make_tenant
from tests.support.server import Server, running_server

pytestmark = [pytest.mark.usefixtures("app"), pytest.mark.xdist_group("fuzz")]
# per operation, mode and database: enough to reach the error branches of the document (a deeper run: set
# SAUTI_FUZZ_EXAMPLES=500)
EXAMPLES = int(os.environ.get("SAUTI_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
DOCUMENT = create_app(Settings(data_dir=Path("/nonexistent"))).openapi()
TEXTUS = textus_openapi.document("TextUs", __version__, RESOURCES)
# (the document's URL, the operation's path and method) for both dialects
OPERATIONS = [("/api/v2/openapi.json", path, verb) for path, item in DOCUMENT["paths"].items() for verb in item] + [
    ("/api/openapi.json", path, verb) for path, item in TEXTUS["paths"].items() for verb in item
]


@pytest.fixture(scope="module")
def server(backend: Backend) -> Iterator[Server]:
    with running_server(backend.url) as srv:
        yield srv


@pytest.fixture
async def fuzzed(app: Any, backend: Backend) -> Tenant:
    return await make_tenant(backend, "Fuzzed", "fuzz@example.org", country="RW", languages=["eng", "kin"])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize(("document", "path", "verb"), OPERATIONS, ids=[f"{v.upper()} {p}" for _, p, v in OPERATIONS])
def test_every_answer_is_documented(
    server: Server, fuzzed: Tenant, document: str, path: str, verb: str, mode: Any
) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base_url}{document}")
    operation = schema[path][verb.upper()]
    if document == "/api/v2/openapi.json":
        headers = {"Authorization": f"Token {fuzzed.token}"}
    else:
        basic = base64.b64encode(f"{fuzzed.user.email}:{fuzzed.token}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS)

    fuzz()
