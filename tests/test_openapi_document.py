"""The committed OpenAPI documents are the ones the apps serve: clients and the dashboard
are generated from the files, so a change to an API that is not dumped again fails here."""

from __future__ import annotations

import json

import pytest

from scripts.dump_openapi import APPS, TARGET, render, target


def test_committed_openapi_document_is_current():
    assert TARGET.exists(), "services/api/openapi.json is missing: run `make openapi`"
    committed = json.loads(TARGET.read_text())
    assert committed == json.loads(render()), (
        "services/api/openapi.json is stale: run `make openapi` and commit it"
    )
    assert committed["openapi"].startswith("3.1")


@pytest.mark.parametrize("service", sorted(set(APPS) - {"api"}))
def test_each_service_surface_document_is_current(service):
    path = target(service)
    assert path.exists(), f"services/{service}/openapi.json is missing: run `make openapi`"
    committed = json.loads(path.read_text())
    assert committed == json.loads(render(service)), (
        f"services/{service}/openapi.json is stale: run `make openapi` and commit it"
    )
    assert committed["openapi"].startswith("3.1")
    operations = {
        op["operationId"] for methods in committed["paths"].values() for op in methods.values()
    }
    assert {"get_liveness", "get_readiness", "get_metrics"} <= operations
    for methods in committed["paths"].values():
        for op in methods.values():
            assert op.get("description") and op.get("tags"), op["operationId"]
