"""Synthetic data for the measurements: SQL clones of the demo rows, never
factories; a ledger file; payouts due for the reminder sweep."""

import os
from pathlib import Path

from .harness import sql

# Synthetic data: SQL clones of the demo rows, never factories ---------------------

_claim_sequence = [0]


def claims_add(count: int, reseller_ids: list[int]) -> None:
    """Clone a demo claim `count` times, spread over resellers, statuses and time."""
    if count <= 0:
        return
    start = _claim_sequence[0]
    _claim_sequence[0] += count
    sql(
        """
        INSERT INTO claims_claim (
            reference, claim_mode, terms_accepted_at, terms_accepted_ip, status,
            validation_outcome, validation_report, validated_at, reward_amount,
            reward_currency, decision_reason_code, decision_reason, decided_at,
            disputed_at, created_at, updated_at, offer_id, reseller_id,
            reviewer_id, submitted_by_id, terms_id)
        SELECT 'BENCH-' || lpad((%(start)s + g)::text, 10, '0'), 'one_per_sale',
            t.terms_accepted_at, t.terms_accepted_ip,
            (ARRAY['submitted', 'in_review', 'approved', 'rejected',
                   'info_requested'])[1 + g %% 5],
            t.validation_outcome, t.validation_report, t.validated_at,
            t.reward_amount, t.reward_currency, '', '', NULL, NULL,
            now() - (%(start)s + g) * interval '1 second', now(), t.offer_id,
            (%(resellers)s::bigint[])[1 + g %% cardinality(%(resellers)s::bigint[])],
            NULL, t.submitted_by_id, t.terms_id
        FROM claims_claim t, generate_series(1, %(count)s) g
        WHERE t.id = (SELECT min(id) FROM claims_claim)
        """,
        {"start": start, "count": count, "resellers": reseller_ids},
    )
    sql("ANALYZE claims_claim")


def demo_seed() -> None:
    """The demo's rows, under the benchmark's production settings.

    seed_demo refuses production settings because its staff accounts share a
    public password; the benchmark's database is its own and dropped after
    the run, so only this call lifts the refusal (the server stays production).
    """
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(IS_PRODUCTION=False), open(os.devnull, "w") as quiet:
        call_command("seed_demo", verbosity=0, stdout=quiet)


def demo_reseller():
    from allauth.mfa.models import Authenticator

    from resellers.models import Reseller, User

    # Admin wants an authenticator; the demo reviewer has not set one up.
    Authenticator.objects.get_or_create(
        user=User.objects.get(email="reviewer@vendor.example"),
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": "bench"}},
    )
    user = User.objects.get(email="anna@nordlicens.se")
    return Reseller.objects.get(pk=user.reseller_id), user


def ledger_file(path: Path, rows: int) -> None:
    """A ledger CSV of `rows` valid agreements, written by PostgreSQL itself."""
    from django.db import connection

    codes = sql(
        "SELECT (SELECT code FROM offers_customersegment LIMIT 1),"
        " (SELECT code FROM offers_licencetype LIMIT 1),"
        " (SELECT array_agg(sku) FROM offers_product)"
    )[0]
    query = f"""
        COPY (SELECT 'B' || lpad(g::text, 9, '0') AS agreement_number,
            '55670' || lpad((g %% 500)::text, 5, '0') AS reseller_org_number,
            'Reseller ' || (g %% 500) || ' AB' AS reseller_name,
            'CUST-' || (g %% 100000) AS customer_id,
            %(segment)s AS customer_segment, %(licence)s AS licence_type,
            (%(skus)s::text[])[1 + g %% cardinality(%(skus)s::text[])] AS product_sku,
            1 + g %% 250 AS seats, ((g %% 100000) * 12.5)::numeric(14, 2) AS revenue,
            'SEK' AS currency, date '2026-08-01' + (g %% 120) AS sale_date,
            CASE WHEN g %% 3 = 0 THEN 'true' ELSE 'false' END AS new_customer
        FROM generate_series(1, {int(rows)}) g) TO STDOUT WITH (FORMAT csv, HEADER)
    """  # noqa: S608  # nosec B608 - an int
    with (
        connection.cursor() as cursor,
        path.open("wb") as out,
        cursor.cursor.copy(
            query, {"segment": codes[0], "licence": codes[1], "skus": codes[2]}
        ) as copy,
    ):
        for block in copy:
            out.write(block)


# Reminder sweep -----------------------------------------------------------------


def payouts_due(count: int) -> None:
    """`count` payouts awaiting bank details whose window closed yesterday."""
    sql("TRUNCATE payouts_reminder, payouts_payoutevent, cashback_outboxmessage")
    sql(
        "DELETE FROM payouts_payout WHERE claim_id IN (SELECT id FROM claims_claim"
        " WHERE reference LIKE 'BENCH-%%')"
    )
    sql(
        """
        INSERT INTO payouts_payout (
            status, amount, currency, payout_amount, payout_currency, exchange_rate,
            cycle, notified_at, bank_details_due_at, reminders_sent, release_date,
            payment_deadline, paid_at, payment_reference, failure_code,
            failure_reason, created_at, updated_at, bank_account_id, batch_id,
            claim_id, offer_id, reseller_id)
        SELECT 'awaiting_bank_details', 1000, 'SEK', NULL, '', NULL, 1,
            now() - interval '20 days', now() - interval '1 day', c.id %% 3,
            current_date, current_date + 30, NULL, '', '', '', now(), now(), NULL,
            NULL, c.id, c.offer_id, c.reseller_id
        FROM claims_claim c WHERE c.reference LIKE 'BENCH-%%'
        ORDER BY c.id LIMIT %(count)s
        """,
        {"count": count},
    )
    sql("ANALYZE payouts_payout")


def sweep_claims_ensure(count: int) -> None:
    """Enough BENCH- claims to clone `count` payouts from (one per claim): a
    part run (BENCH_ONLY=sweep) has not had the earlier steps add them."""
    from resellers.models import Reseller

    [(have, last)] = sql(
        "SELECT count(*), max(reference) FROM claims_claim"
        " WHERE reference LIKE 'BENCH-%%'"
    )
    # Number on after the last one (a kept database has them from a run before).
    _claim_sequence[0] = max(_claim_sequence[0], int(last[6:]) if last else 0)
    claims_add(count - have, list(Reseller.objects.values_list("pk", flat=True)))
