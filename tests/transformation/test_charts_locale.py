"""Charts are drawn with SVG numbers whatever the reader's language: Indonesian writes 240,0 for
240.0 in text, but an SVG coordinate written that way is refused by the browser (the radar lost
its spokes and logged an error for each)."""

from __future__ import annotations

import re

import pytest

from cxm.tenancy.models import Role
from transformation.assessment import round_create

COORDINATE = re.compile(r'\b(x|y|x1|y1|x2|y2|cx|cy|width|height|viewBox)="([^"]*)"')
SVG_NUMBERS = re.compile(r"-?\d+(\.\d+)?%?( -?\d+(\.\d+)?)*")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_radar_of_a_round_has_svg_coordinates_in_indonesian_too(client, workspace_a, member, language):
    admin = member(workspace_a, Role.ADMIN)
    assessment_round = round_create(workspace=workspace_a, name="Q1", by=admin.user)
    client.force_login(admin.user)
    client.cookies["django_language"] = language

    html = client.get(f"/transformation/assessments/{assessment_round.pk}/").content.decode()

    svg = re.search(r'<figure class="radar".*?</svg>', html, re.S).group(0)
    coordinates = COORDINATE.findall(svg)
    assert len(coordinates) > 16  # the canvas and eight spokes with their labels
    assert [(name, value) for name, value in coordinates if not SVG_NUMBERS.fullmatch(value)] == []
