"""The delivery life cycle of domain/deliveries.py: claims with a lease and a fencing token
instead of an advisory lock, `deferred` with a next attempt time instead of retry queues and
parking, a reason code instead of a reason text, `suppressed` for the per-recipient cap.

Old rows stay readable: `failed` (waiting for a retry) becomes `deferred`, due now; `parked`
after retries ran out becomes `deferred` too (an outage delays, never parks: its deadline
still counts from when it was written); `parked` because the server refused it becomes
`failed` with reason `rejected`; the old reason text is kept in `last_error`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_STATES = "('queued','sending','sent','deferred','failed','suppressed','cancelled')"
_REASONS = (
    "('server_unavailable','temporary_refusal','rejected','unsendable','deadline','recipient_cap')"
)


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("claim_token", UUID(as_uuid=True)))
    op.add_column("deliveries", sa.Column("lease_until", sa.DateTime(timezone=True)))
    op.add_column("deliveries", sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
    op.add_column("deliveries", sa.Column("reason", sa.Text))
    op.execute(
        """
        UPDATE deliveries SET
            last_error = COALESCE(last_error, parked_reason),
            reason = CASE
                WHEN state = 'parked' AND parked_reason LIKE 'rejected%' THEN 'rejected'
                WHEN state IN ('failed', 'parked') THEN 'server_unavailable'
            END,
            next_attempt_at = CASE
                WHEN state = 'failed' OR (state = 'parked' AND parked_reason NOT LIKE 'rejected%')
                THEN now()
            END,
            lease_until = CASE WHEN state = 'sending' THEN now() END,
            state = CASE
                WHEN state = 'parked' AND parked_reason LIKE 'rejected%' THEN 'failed'
                WHEN state IN ('failed', 'parked') THEN 'deferred'
                ELSE state
            END
        """
    )
    op.drop_column("deliveries", "parked_reason")
    op.drop_column("deliveries", "claimed_by")
    op.create_check_constraint("ck_deliveries_state", "deliveries", f"state IN {_STATES}")
    op.create_check_constraint(
        "ck_deliveries_reason", "deliveries", f"reason IS NULL OR reason IN {_REASONS}"
    )
    op.create_index(
        "ix_deliveries_deferred_due",
        "deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'deferred'"),
    )
    op.create_index(
        "ix_deliveries_sending_lease",
        "deliveries",
        ["lease_until"],
        postgresql_where=sa.text("state = 'sending'"),
    )
    op.create_index(
        "ix_deliveries_recipient_recent",
        "deliveries",
        [sa.text("lower(recipient)"), "created_at"],
        postgresql_where=sa.text("campaign_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_recipient_recent", "deliveries")
    op.drop_index("ix_deliveries_sending_lease", "deliveries")
    op.drop_index("ix_deliveries_deferred_due", "deliveries")
    op.drop_constraint("ck_deliveries_reason", "deliveries")
    op.drop_constraint("ck_deliveries_state", "deliveries")
    op.add_column("deliveries", sa.Column("claimed_by", sa.Integer))
    op.add_column("deliveries", sa.Column("parked_reason", sa.Text))
    op.execute(
        """
        UPDATE deliveries SET
            parked_reason = CASE WHEN state = 'failed' THEN reason END,
            state = CASE WHEN state = 'failed' THEN 'parked' WHEN state = 'deferred' THEN 'failed'
                         WHEN state = 'suppressed' THEN 'cancelled' ELSE state END
        """
    )
    for column in ("reason", "next_attempt_at", "lease_until", "claim_token"):
        op.drop_column("deliveries", column)
