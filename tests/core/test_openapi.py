from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_and_documents_the_contract_paths(anon):
    schema = anon.get("/api/v1/openapi.json").json()

    assert schema["openapi"].startswith("3.")
    for path in ["/api/v1/auth/token", "/api/v1/me", "/api/v1/people", "/api/v1/people/{person_id}", "/api/v1/areas"]:
        assert path in schema["paths"], path


def test_every_authenticated_operation_documents_401_and_every_error_uses_the_error_shape(anon):
    schema = anon.get("/api/v1/openapi.json").json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            statuses = operation["responses"]
            if operation.get("security"):
                assert "401" in statuses, f"{method.upper()} {path} does not document 401"
            for status, response in statuses.items():
                if status.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), f"{method.upper()} {path} {status}"


def test_the_docs_page_is_served(anon):
    response = anon.client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_every_operation_documents_the_503_a_lost_database_gives(anon):
    schema = anon.get("/api/v1/openapi.json").json()

    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert operations
    for path, method, operation in operations:
        response = operation["responses"].get("503")
        assert response is not None, f"{method.upper()} {path} does not document 503"
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
        assert "Retry-After" in response["headers"]


def test_a_foreign_host_header_gets_a_json_400_that_every_operation_documents(anon):
    response = anon.get("/api/v1/me", headers={"HTTP_HOST": "evil.example"})
    schema = anon.get("/api/v1/openapi.json").json()

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json()["code"] == "bad_request"
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "400" not in operation["responses"]
    ]
    assert undocumented == []
