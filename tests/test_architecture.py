"""Apps depend one way: accounts <- catalog <- enrollment; the project package wires them and owns no rule.

Every module of the three apps and of ``school/`` (their tests included) is read with ``ast``, and
each import of a package it must not depend on is reported with its file, line and statement.
Imports by string (settings, ``import_string``, ``apps.get_model``) are not seen: keep them in
settings and the URL wiring.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The packages each one must not import: an app builds on the apps to its
# left only, and the project (settings, cross-cutting middleware, API
# plumbing) builds on accounts, whose users and tokens every request carries.
FORBIDDEN = {
    "accounts": {"catalog", "enrollment"},
    "catalog": {"enrollment"},
    "enrollment": set(),
    "school": {"catalog", "enrollment"},
}
# The root URLconfs include every app's pages and API routers: wiring, not ownership.
WIRING = {"school/urls.py", "school/api/urls.py"}


def imported_packages(tree: ast.AST):
    """(line, top-level package, statement) of every absolute import in tree, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0], f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = ", ".join(alias.name for alias in node.names)
            yield node.lineno, node.module.split(".")[0], f"from {node.module} import {names}"


def imports_against_the_direction(root: Path = ROOT) -> list[str]:
    found = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if name in WIRING:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
            found += [
                f"{name}:{line}: {statement}"
                for line, imported, statement in imported_packages(tree)
                if imported in forbidden
            ]
    return found


def test_apps_import_only_the_apps_to_their_left():
    found = imports_against_the_direction()
    assert not found, "imports against accounts <- catalog <- enrollment:\n" + "\n".join(found)


def test_the_check_sees_imports_inside_functions_and_names_where_they_are(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "views.py").write_text(
        "from accounts.models import User\n\ndef page():\n    from enrollment import services\n"
    )
    for package in ("accounts", "enrollment", "school"):
        (tmp_path / package).mkdir()
    assert imports_against_the_direction(tmp_path) == ["catalog/views.py:4: from enrollment import services"]
