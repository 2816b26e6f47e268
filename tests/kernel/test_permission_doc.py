"""The permission table in docs/security.md is the truth for every role: read as a reader would,
cell by cell, it grants exactly what `PERMISSIONS` grants, for every role the code knows."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from cxm.tenancy.models import Role
from cxm.tenancy.permissions import PERMISSIONS

SECURITY_DOC = Path(settings.BASE_DIR) / "docs" / "security.md"
ROW = re.compile(r"^\|\s*`(?P<permission>[a-z_.]+)`\s*\|(?P<cells>.*)\|\s*$")


def _doc_table() -> tuple[list[str], dict[str, set[str]]]:
    """The roles of the table's header, and per permission row the roles marked "yes"."""
    lines = SECURITY_DOC.read_text().splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("| Permission |"))
    roles = [cell.strip() for cell in lines[header_at].strip().strip("|").split("|")][1:]
    granted: dict[str, set[str]] = {}
    for line in lines[header_at + 2 :]:
        match = ROW.match(line)
        if match is None:
            break
        cells = [cell.strip() for cell in match["cells"].split("|")]
        assert len(cells) == len(roles), (
            f"row {match['permission']} has {len(cells)} cells for {len(roles)} roles"
        )
        assert set(cells) <= {"yes", ""}, f"row {match['permission']}: cells are 'yes' or empty, not {cells}"
        granted[match["permission"]] = {
            role for role, cell in zip(roles, cells, strict=True) if cell == "yes"
        }
    return roles, granted


def test_security_doc_table_has_a_column_for_every_role():
    roles, _ = _doc_table()
    assert sorted(roles) == sorted(Role.values)


def test_security_doc_table_grants_what_the_code_grants():
    _, granted = _doc_table()
    in_code = {permission: {str(role) for role in roles} for permission, roles in PERMISSIONS.items()}
    assert set(granted) == set(in_code), "permissions missing from or unknown to docs/security.md"
    differences = {
        f"{permission} for {role}": f"doc {'yes' if role in granted[permission] else 'no'}, code "
        f"{'yes' if role in in_code[permission] else 'no'}"
        for permission in in_code
        for role in Role.values
        if (role in granted[permission]) != (role in in_code[permission])
    }
    assert differences == {}


def test_leaders_hold_no_permission_to_change_anything():
    """What the docs promise of leaders: reading, and answering assessments (a `.view` right)."""
    _, granted = _doc_table()
    held = {permission for permission, roles in granted.items() if Role.LEADER in roles}
    assert held and all(permission.endswith((".view", ".reports")) for permission in held), held
    assert {"care.reports", "ads.view", "transformation.view", "listening.view"} <= held
