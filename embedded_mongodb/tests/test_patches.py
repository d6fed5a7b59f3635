"""mongoeco is changed by one explicit call, each attribute once, and never by an import."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import mongoeco
import pytest

from embedded_mongodb.patches import install, replacements
from embedded_mongodb.pin import PINNED_MONGOECO_VERSION, require_pinned_mongoeco

pytestmark = pytest.mark.emulator

PACKAGE = Path(__file__).resolve().parents[1]

# In a fresh interpreter: every mongoeco module loaded, then every module of
# the package imported, then install() called; what changed at each step.
CHANGES = """
import importlib, json, pkgutil, sys
import mongoeco
from mongoeco.core.aggregation import get_registered_aggregation_expression_operator

for module in pkgutil.walk_packages(mongoeco.__path__, "mongoeco."):
    try:
        importlib.import_module(module.name)
    except Exception:
        pass

def attributes():
    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("mongoeco"):
            continue
        for attribute, value in list(vars(module).items()):
            found[f"{name}.{attribute}"] = id(value)
            if isinstance(value, type) and value.__module__ == name:
                for member, inner in vars(value).items():
                    found[f"{name}.{attribute}.{member}"] = id(inner)
    return found

def changed(before, after):
    return sorted(key for key in before.keys() | after.keys() if after.get(key) != before.get(key))

operators = ("$not", "$rand", "$dateTrunc")
before = attributes()
for module in pkgutil.walk_packages(["embedded_mongodb"], "embedded_mongodb."):
    if ".tests" not in module.name:
        importlib.import_module(module.name)
imported = attributes()
registered_on_import = [op for op in operators if get_registered_aggregation_expression_operator(op)]
from embedded_mongodb.patches import install
install()
installed = attributes()
print(json.dumps({
    "on_import": changed(before, imported),
    "registered_on_import": registered_on_import,
    "on_install": changed(imported, installed),
    "registered_on_install": [op for op in operators if get_registered_aggregation_expression_operator(op)],
    "django_loaded": "django" in sys.modules,
}))
"""


@pytest.fixture(scope="module")
def changes():
    result = subprocess.run(
        [sys.executable, "-c", CHANGES], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout)


def target(owner, attribute) -> str:
    if isinstance(owner, type):
        return f"{owner.__module__}.{owner.__name__}.{attribute}"
    return f"{owner.__name__}.{attribute}"


def test_importing_the_package_changes_nothing_in_mongoeco(changes):
    assert changes["on_import"] == []
    assert changes["registered_on_import"] == []


def test_install_changes_exactly_the_listed_attributes_and_registers_the_operators(changes):
    assert changes["on_install"] == sorted(target(owner, attribute) for owner, attribute, _ in replacements())
    assert changes["registered_on_install"] == ["$not", "$rand", "$dateTrunc"]


def test_no_attribute_is_replaced_twice():
    targets = [target(owner, attribute) for owner, attribute, _ in replacements()]
    assert len(set(targets)) == len(targets)


def test_a_second_install_changes_nothing():
    install()
    values = [getattr(owner, attribute) for owner, attribute, _ in replacements()]
    install()
    assert [getattr(owner, attribute) for owner, attribute, _ in replacements()] == values


def test_another_mongoeco_version_is_refused(monkeypatch):
    monkeypatch.setattr(mongoeco, "__version__", "4.12.0")
    with pytest.raises(ImportError, match=f"written for mongoeco {PINNED_MONGOECO_VERSION}, found 4.12.0"):
        require_pinned_mongoeco()


def test_the_package_does_not_depend_on_django(changes):
    assert not changes["django_loaded"]
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert not any(alias.name.split(".")[0] == "django" for alias in node.names), path
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] != "django", path
