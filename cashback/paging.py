"""Pages of a list that learn their total from the page's own statement.

Django's `Paginator` asks the database twice: `COUNT(*)` for the number of
pages, then the page's rows. A window count (`COUNT(*) OVER ()`, PostgreSQL
and SQLite alike) is computed before `LIMIT`, so the page's rows carry the
total and a list page spares one round trip (issue 33's statement budget).
"""

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.query import NamedValuesListIterable, ValuesListIterable

TOTAL = "page_total"
VALUES_LISTS = (ValuesListIterable, NamedValuesListIterable)


def _number(page_number) -> int:
    try:
        number = int(page_number)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def page_with_total(queryset: QuerySet, per_page: int, page_number) -> Page:
    """The page `page_number` of `queryset` (model instances, `values()`
    dicts or `values_list()` tuples, ordered), as `Paginator.get_page` gives
    it: a number that is not a page gives the first page, one past the end
    the last. One statement when the page has rows; a page past the end
    costs the two of `Paginator`.

    The rows are a list: nothing lazy reaches the template."""
    number = _number(page_number)
    paginator = Paginator(queryset, per_page)
    start = (number - 1) * per_page
    counted = queryset.annotate(**{TOTAL: Window(Count("pk"))})
    if issubclass(queryset._iterable_class, VALUES_LISTS):
        # values_list() fixed its columns: name the total among them.
        counted = counted.values_list(
            *queryset._fields,
            TOTAL,
            named=queryset._iterable_class is NamedValuesListIterable,
        )
    rows = list(counted[start : start + per_page])
    if not rows:
        if number > 1:  # past the end: Paginator's own answer
            page = paginator.get_page(number)
            page.object_list = list(page.object_list)
            return page
        paginator.count = 0  # a cached_property: set, it is not asked for
        return Page([], 1, paginator)
    first = rows[0]
    if isinstance(first, dict):
        total = first[TOTAL]
        for row in rows:
            del row[TOTAL]
    elif isinstance(first, tuple) and not hasattr(first, "_fields"):
        total = first[-1]
        rows = [row[:-1] for row in rows]
    else:  # a model instance or a named row keeps the total as an attribute
        total = getattr(first, TOTAL)
    paginator.count = total
    return Page(rows, number, paginator)  # rows exist: the number is a page
