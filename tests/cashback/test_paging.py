"""A list page reads its rows and its total in one statement (issue 33)."""

import pytest

from cashback.paging import page_with_total
from resellers.models import Reseller
from tests.resellers.factories import ResellerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def companies():
    for _ in range(5):
        ResellerFactory()
    return Reseller.objects.order_by("pk")


def columns(row):
    return tuple(row)[:2] if isinstance(row, tuple) else row


@pytest.mark.parametrize(
    "rows",
    [
        lambda qs: qs,
        lambda qs: qs.values("pk", "legal_name"),
        lambda qs: qs.values_list("pk", "legal_name"),
        lambda qs: qs.values_list("pk", "legal_name", named=True),
    ],
    ids=["instances", "dicts", "tuples", "named rows"],
)
def test_a_page_and_its_total_come_in_one_statement(
    companies, rows, django_assert_num_queries
):
    """The second page of two holds the rest, as the rows the queryset gives
    (a tuple keeps its columns), and knows the total without a COUNT."""
    expected = list(rows(companies))[2:4]
    with django_assert_num_queries(1):
        page = page_with_total(rows(companies), 2, "2")
        assert page.paginator.count == 5
        assert page.paginator.num_pages == 3
    assert page.number == 2
    assert page.has_next() and page.has_previous()
    # A named row keeps the total as one more field; the columns are the same.
    assert [columns(row) for row in page.object_list] == [
        columns(row) for row in expected
    ]
    assert isinstance(page.object_list, list)


def test_a_number_that_is_not_a_page_reads_as_paginator_does(companies):
    """Not a number: the first page; past the end: the last; nothing: empty."""
    assert page_with_total(companies, 2, "x").number == 1
    assert page_with_total(companies, 2, None).number == 1
    last = page_with_total(companies, 2, "9")
    assert last.number == 3
    assert list(last.object_list) == [companies.last()]
    empty = page_with_total(companies.none(), 2, "1")
    assert empty.paginator.count == 0
    assert list(empty.object_list) == []
