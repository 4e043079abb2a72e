"""The role matrix in code and the table in docs/roles.md say the same, and `require` enforces it."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.chassis.authz import MATRIX, SCOPES, Action, Role, allows, grantable_scopes, require, scopes_cover
from services.chassis.errors import NotFound, PermissionDenied, Unauthenticated
from services.chassis.principal import Principal

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def documented_tables() -> list[list[list[str]]]:
    """Every Markdown table of docs/roles.md, as rows of cells (header first, separator dropped)."""
    tables: list[list[list[str]]] = []
    previous_was_row = False
    for line in DOC.read_text().splitlines():
        is_row = line.startswith("|")
        if is_row and not previous_was_row:
            tables.append([])
        if is_row and not set(line) <= set("|-: "):
            tables[-1].append([cell.strip() for cell in line.strip("|").split("|")])
        previous_was_row = is_row
    return tables


def test_the_documented_role_table_is_the_code() -> None:
    header, *rows = documented_tables()[0]
    roles = header[1:]
    documented = {row[0]: {r for r, mark in zip(roles, row[1:], strict=True) if mark == "✓"} for row in rows}
    assert documented == {action.value: {role.value for role in roles} for action, roles in MATRIX.items()}


def test_the_documented_scope_table_is_the_code() -> None:
    _, *rows = documented_tables()[1]
    documented = {row[0].strip("`"): (row[1].split(" ")[0], {a.strip() for a in row[2].split(",")}) for row in rows}
    for scope, (deciding, covered) in SCOPES.items():
        doc_deciding, doc_covered = documented.pop(scope)
        assert doc_deciding == deciding.value
        if doc_covered == {"everything except delete_project and transfer_ownership"}:
            doc_covered = {a.value for a in Action} - {"delete_project", "transfer_ownership"}
        assert doc_covered == {a.value for a in covered}, scope
    assert documented == {}


@pytest.mark.parametrize("role", list(Role))
def test_keys_act_only_where_role_and_scope_both_allow(role: Role) -> None:
    for scopes in (("read",), ("write",), ("sources:write",), ("admin",), ("read", "sources:write")):
        key = Principal(subject="u", kind="api_key", project_id="p1", role=role.value, scopes=scopes)
        for action in Action:
            expected = allows(role.value, action) and scopes_cover(scopes, action)
            try:
                require(key, "p1", action)
                allowed = True
            except PermissionDenied:
                allowed = False
            assert allowed == expected, (role, scopes, action)


def test_a_role_grants_only_scopes_it_could_use() -> None:
    assert grantable_scopes("viewer") == grantable_scopes("stakeholder") == {"read"}
    assert grantable_scopes("member") == {"read", "write"}
    assert grantable_scopes("product_manager") == {"read", "write", "sources:write"}
    assert grantable_scopes("admin") == grantable_scopes("owner") == set(SCOPES)


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
