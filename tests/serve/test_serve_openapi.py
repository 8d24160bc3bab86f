"""The OpenAPI document: checked in, served, and derived from the catalogue and the model.

Real: the document the installed package builds, the committed ``schemas/openapi.json``, and
the one a running server answers at ``/openapi.json``; the OpenAPI 3.1 meta-schema check is
schemathesis's own loader.
"""

from __future__ import annotations

import json
from pathlib import Path

from servehelpers import Client, Served
from storplan.catalogue import OPERATIONS, ArgKind
from storplan.model import Kind
from storplan.serve.modelschema import KIND_CLASSES
from storplan.serve.openapi import openapi_document, openapi_text

CHECKED_IN = Path(__file__).parents[2] / "schemas" / "openapi.json"


def test_checked_in_document_is_current() -> None:
    assert CHECKED_IN.read_text() == openapi_text(), (
        "schemas/openapi.json is stale: run storplan serve openapi --out schemas/openapi.json"
    )


def test_served_document_is_the_checked_in_one(served: Served) -> None:
    status, body, _ = Client(served.url, None, served.context()).request("GET", "/openapi.json")
    assert status == 200 and body == json.loads(CHECKED_IN.read_text())


def test_every_catalogue_operation_and_kind_is_served() -> None:
    paths = openapi_document()["paths"]
    for op in OPERATIONS.values():
        served = f"/arrays/{{array}}/operations/{op.name}" in paths
        reads_secrets = any(a.how is ArgKind.CHAP for a in op.args)
        assert served is not reads_secrets, op.name
    for kind in Kind:
        assert f"/arrays/{{array}}/{kind.value.replace('_', '-')}" in paths
    schemas = openapi_document()["components"]["schemas"]
    for cls in KIND_CLASSES.values():  # every model field, derived
        assert set(schemas[cls.__name__]["properties"]) == set(cls.__dataclass_fields__)


def test_document_is_valid_openapi_31() -> None:
    import schemathesis

    schema = schemathesis.openapi.from_dict(openapi_document())
    assert len(list(schema.get_all_operations())) == sum(
        len(methods) for methods in openapi_document()["paths"].values()
    )
