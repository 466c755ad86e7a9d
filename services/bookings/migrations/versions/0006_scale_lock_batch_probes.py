"""The booking batch's reads by address probe the indexes once per address, whatever the
planner thinks of the tables' sizes (issue 19: PostgreSQL's CPU per booking grew with the
waiting list).

`bookings_lock_batch` found the batch's active bookings with `email_key = ANY(p_emails)`
beside `event_id = p_event`. For such a condition the planner may also use only the event as
the index condition and filter the addresses, and with statistics from when the table was
small (autovacuum had not analysed it yet; a PL/pgSQL plan, once generic, is kept) it did:
EXPLAIN (ANALYZE, BUFFERS) at 15,000 bookings of one event showed an Index Scan of
`uq_bookings_one_active_per_email` with `Index Cond: (event_id = ...)`, `Filter: (email_key =
ANY (...))`, "Rows Removed by Filter: 15000", 3,353 buffers, for fifteen addresses. Each
address is now its own lookup (a LATERAL subquery with LIMIT 1: at most one active booking per
address and event, by that unique index), equal on both of the index's columns: ~4 buffers an
address at any size. (An EXISTS would not do: PostgreSQL turns it into a join it may hash over
the whole table.) The roster's membership test gets the same shape, so a large cohort is not
read whole for a few addresses either. The function's signature and results are unchanged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The active bookings of the batch's addresses, as migration 0005 read them, and as now.
_ACTIVE_0005 = """(SELECT coalesce(json_agg(json_build_array(b.email_key, b.id)), '[]'::json)
       FROM bookings b
      WHERE b.event_id = p_event AND b.email_key = ANY(p_emails)
        AND b.status IN ('confirmed', 'waitlisted'))"""
_ACTIVE = """(SELECT coalesce(json_agg(json_build_array(e.email_key, a.id)), '[]'::json)
       FROM unnest(p_emails) AS e(email_key)
       CROSS JOIN LATERAL (
         SELECT b.id FROM bookings b
          WHERE b.event_id = p_event AND b.email_key = e.email_key
            AND b.status IN ('confirmed', 'waitlisted')
          LIMIT 1) AS a)"""
_ROSTER_0005 = """(SELECT coalesce(json_agg(DISTINCT m.email_key), '[]'::json)
       FROM cohort_members m
      WHERE ev.audience_kind = 'cohorts' AND m.cohort_id = ANY(ev.cohort_ids)
        AND m.email_key = ANY(p_emails) AND NOT m.removed)"""
_ROSTER = """(SELECT coalesce(json_agg(DISTINCT e.email_key), '[]'::json)
       FROM unnest(p_emails) AS e(email_key)
       CROSS JOIN LATERAL (
         SELECT FROM cohort_members m
          WHERE m.email_key = e.email_key AND m.cohort_id = ANY(ev.cohort_ids)
            AND NOT m.removed
          LIMIT 1) AS r
      WHERE ev.audience_kind = 'cohorts')"""

# Migration 0005's function, the two reads by address given as {active} and {roster}.
LOCK_BATCH = """
CREATE OR REPLACE FUNCTION bookings_lock_batch(p_event uuid, p_emails text[], p_keys text[])
RETURNS TABLE (
  event_id uuid, version int, status text, title text, starts_at timestamptz,
  ends_at timestamptz, audience_kind text, cohort_ids uuid[], booking_opens_at timestamptz,
  booking_closes_at timestamptz, capacity int, waitlist_enabled boolean, confirmed int,
  waiting int, waitlist_seq bigint, options json, active json, stored json, on_roster json
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  ev event_replicas%ROWTYPE;
BEGIN
  SELECT * INTO ev FROM event_replicas e WHERE e.event_id = p_event FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT
    ev.event_id, ev.version, ev.status, ev.title, ev.starts_at, ev.ends_at, ev.audience_kind,
    ev.cohort_ids, ev.booking_opens_at, ev.booking_closes_at, ev.capacity,
    ev.waitlist_enabled, ev.confirmed, ev.waiting, ev.waitlist_seq,
    (SELECT coalesce(json_agg(json_build_array(o.option_id, o.name, o.capacity, o.confirmed,
                     o.waiting, o.withdrawn, o.description, o.position, o.group_id,
                     o.group_name, o.group_required, o.group_position)
                     ORDER BY o.group_position, o.position), '[]'::json)
       FROM event_options o WHERE o.event_id = p_event),
    {active},
    (SELECT coalesce(json_agg(json_build_array(k.key, encode(k.fingerprint, 'base64'), k.answer)),
                     '[]'::json)
       FROM idempotency_keys k WHERE k.key = ANY(p_keys)),
    {roster};
END
$$;
"""


def upgrade() -> None:
    op.execute(LOCK_BATCH.format(active=_ACTIVE, roster=_ROSTER))


def downgrade() -> None:
    op.execute(LOCK_BATCH.format(active=_ACTIVE_0005, roster=_ROSTER_0005))
