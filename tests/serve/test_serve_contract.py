"""Contract: schemathesis fuzzes every operation of the checked-in OpenAPI document against a
running server on a simulator; no response is a 5xx and every response matches the document.

Real: the ``storplan serve`` process of conftest (HTTPS, verified with the test CA), a
simulated array (``fuzz``) the fuzzer may change at will, schemathesis's generated requests
and its own response checks.  The array path parameter is pinned to ``fuzz`` (random names
would only ever meet the 403 of an array the token does not name); a few examples per
operation keep the CI time modest.  Schemathesis's ``positive_data_acceptance`` check is left
out: whether a schema-valid request is acceptable depends on the live array (its limits, the
objects that exist), and the document declares those ``422`` answers.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from servehelpers import Served

CHECKED_IN = Path(__file__).parents[2] / "schemas" / "openapi.json"
schema = schemathesis.openapi.from_path(CHECKED_IN)


@schema.parametrize()
@settings(max_examples=6, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_5xx_and_responses_match_the_document(case, served: Served) -> None:  # type: ignore[no-untyped-def]
    if case.path_parameters and "array" in case.path_parameters:
        case.path_parameters["array"] = "fuzz"
    case.call_and_validate(
        base_url=served.url,
        headers={"Authorization": f"Bearer {served.tokens['fuzz']}"},
        verify=str(served.ca),
        excluded_checks=[checks.positive_data_acceptance],
    )
