"""A product feed CSV: bad rows are reported with their row number, field and reason; the good rows
are kept; prices become integer minor units in the currency's own exponent."""

from __future__ import annotations

import io

from ads.variants import Money, load_feed_csv

HEADER = "id,product,price,currency,image_width,image_height\n"


def _load(body: str, **options):
    return load_feed_csv(io.StringIO(HEADER + body), **options)


def test_bad_rows_are_reported_with_index_and_field_and_good_rows_kept():
    feed = _load(
        "p1,Kopi,25000,IDR,1080,1080\n"
        "p2,Teh,abc,IDR,1080,1080\n"  # row 2: bad price
        "p3,,12000,IDR,1080,1080\n"  # row 3: empty product
        "p4,Roti,12000,IDR,wide,1080\n"  # row 4: bad width
        "p5,Sambal,9000,IDR,1080,1080\n"
    )
    assert [row.id for row in feed.rows] == ["p1", "p5"]
    assert [(e.index, e.field) for e in feed.errors] == [(2, "price"), (3, "product"), (4, "image_width")]
    assert "not an amount" in feed.errors[0].reason


def test_prices_use_the_currency_exponent():
    feed = _load("a,A,25000,IDR,,\nb,B,4.99,USD,,\nc,C,3.5,GBP,,\nd,D,1200,JPY,,\n")
    assert [row.values["price"] for row in feed.rows] == [
        Money(25000, "IDR"),
        Money(499, "USD"),
        Money(350, "GBP"),
        Money(1200, "JPY"),
    ]


def test_decimals_beyond_the_exponent_are_an_error_not_a_guess():
    feed = _load("a,A,25.000,IDR,,\nb,B,4.999,USD,,\n")
    assert feed.rows == []
    assert [(e.index, e.field) for e in feed.errors] == [(1, "price"), (2, "price")]
    assert "IDR has 0 decimal places" in feed.errors[0].reason


def test_price_with_its_currency_code_needs_no_currency_column():
    feed = load_feed_csv(io.StringIO("id,product,price\np1,Tea,4.99 USD\n"))
    assert feed.rows[0].values["price"] == Money(499, "USD")


def test_an_unknown_currency_is_reported_on_the_currency_field():
    feed = _load("a,A,10,XYZ,,\n")
    assert [(e.index, e.field) for e in feed.errors] == [(1, "currency")]


def test_a_duplicate_id_is_an_error_on_the_later_row():
    feed = _load("p1,A,1,IDR,,\np1,B,2,IDR,,\n")
    assert len(feed.rows) == 1
    assert (feed.errors[0].index, feed.errors[0].field) == (2, "id")
    assert "first at row 1" in feed.errors[0].reason


def test_a_missing_required_column_fails_the_whole_feed():
    feed = load_feed_csv(io.StringIO("id,name\np1,Kopi\n"))
    assert feed.rows == []
    assert {(e.index, e.field) for e in feed.errors} == {(0, "product"), (0, "price")}


def test_a_row_with_the_wrong_number_of_cells_is_reported():
    feed = _load("p1,Kopi,1000\np2,Teh,2000,IDR,1080,1080\n")
    assert [row.id for row in feed.rows] == ["p2"]
    assert feed.errors[0].index == 1 and "cells" in feed.errors[0].reason


def test_image_sizes_of_every_format_are_read_as_pixels():
    feed = load_feed_csv(
        io.StringIO("id,product,price,currency,reels_image_width,reels_image_height\np1,A,1,IDR,1080,1920\n")
    )
    assert (feed.rows[0].values["reels_image_width"], feed.rows[0].values["reels_image_height"]) == (
        1080,
        1920,
    )
