"""The role matrix in code and the table in docs/roles.md say the same, and `require` enforces it."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.chassis.authz import MATRIX, Action, Role, allows, require
from services.chassis.errors import NotFound, PermissionDenied, Unauthenticated
from services.chassis.principal import Principal

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def documented_matrix() -> dict[str, set[str]]:
    lines = [line for line in DOC.read_text().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = header[1:]
    matrix = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        matrix[cells[0]] = {role for role, mark in zip(roles, cells[1:], strict=True) if mark == "✓"}
    return matrix


def test_the_documented_table_is_the_code() -> None:
    assert documented_matrix() == {action.value: {role.value for role in roles} for action, roles in MATRIX.items()}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_require_walks_the_matrix(role: Role, action: Action) -> None:
    principal = Principal(subject="u", kind="user", project_id="p1", role=role.value)
    if allows(role.value, action):
        assert require(principal, "p1", action) is principal
    else:
        with pytest.raises(PermissionDenied):
            require(principal, "p1", action)


def test_outsiders_get_not_found_and_anonymous_must_sign_in() -> None:
    with pytest.raises(NotFound):
        require(Principal(subject="u", kind="user", project_id="other", role="owner"), "p1", Action.READ)
    with pytest.raises(NotFound):
        require(Principal(subject="u", kind="user"), "p1", Action.READ)
    with pytest.raises(Unauthenticated):
        require(Principal.anonymous(), "p1", Action.READ)
