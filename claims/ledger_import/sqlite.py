"""The load elsewhere (SQLite, `make run`): batches of
`bulk_create(update_conflicts=True)`."""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone

from ..models import OpenAgreement
from .parsing import (
    SQLITE_BATCH,
    TARGET,
    ImportResult,
    RowParser,
    repeat_message,
)


def import_batched(
    parser: RowParser,
    records: Iterator[tuple[int, list[str]]],
    result: ImportResult,
) -> None:
    batch: list[OpenAgreement] = []
    seen: dict[str, int] = {}

    def flush() -> None:
        numbers = [agreement.agreement_number for agreement in batch]
        existing = set(
            OpenAgreement.objects.filter(agreement_number__in=numbers).values_list(
                "agreement_number", flat=True
            )
        )
        OpenAgreement.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["agreement_number"],
            update_fields=[*TARGET[1:], "imported_at"],
        )
        result.inserted += len(numbers) - len(existing)
        result.updated += len(existing)
        batch.clear()

    now = timezone.now()
    result.imported_at = now
    for line, record in records:
        try:
            number, fields = parser.number(record)
            if number in seen:
                raise ValueError(repeat_message(number, seen[number]))
            values = parser.values(number, fields)
        except ValueError as error:
            result.reject(line, str(error))
            continue
        seen[number] = line
        batch.append(OpenAgreement(**_python_values(values), imported_at=now))
        if len(batch) >= SQLITE_BATCH:
            flush()
    if batch:
        flush()


def _python_values(values: tuple[str, ...]) -> dict:
    (number, org_number, name, customer_id, segment_id, licence_type_id) = values[:6]
    product_id, seats, revenue, currency, sale_date, flag = values[6:]
    return {
        "agreement_number": number,
        "reseller_org_number": org_number,
        "reseller_name": name,
        "customer_id": customer_id,
        "customer_segment_id": int(segment_id),
        "licence_type_id": int(licence_type_id),
        "product_id": int(product_id),
        "seats": int(seats),
        "revenue": Decimal(revenue),
        "currency": currency,
        "sale_date": dt.date.fromisoformat(sale_date),
        "new_customer": flag == "t",
    }
