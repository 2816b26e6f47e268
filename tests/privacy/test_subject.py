"""Scrubbing replaces whole identifiers only, and the request keeps only a mask of the identity."""

from __future__ import annotations

from cxm.privacy.subject import Subject, identity_mask, scrub_json, scrub_text


def test_scrub_replaces_whole_identifiers_not_parts_of_other_words():
    subject = Subject(handles=["@john"], emails=["john@mail.example"], names=["John Smith"])
    pattern = subject.pattern()

    assert scrub_text("thanks @john and Johnson", pattern) == "thanks [erased] and Johnson"
    assert scrub_text("Mail john@mail.example or JOHN SMITH", pattern) == "Mail [erased] or [erased]"
    assert scrub_json({"from": "John Smith <john@mail.example>", "n": 3}, pattern) == {
        "from": "[erased] <[erased]>",
        "n": 3,
    }


def test_mask_never_holds_the_identity():
    for identity in ["zelda.quist@mail.example", "@zquist@social.example", "+62 812-3456-7890", "zquist"]:
        assert identity.lower().lstrip("@+") not in identity_mask(identity).lower()
