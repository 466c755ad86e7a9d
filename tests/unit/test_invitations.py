import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.invitations import InvalidInvitation, sign_invitation, verify_invitation

KEY = "k" * 40


def test_round_trip_normalises_the_email() -> None:
    event, campaign = uuid.uuid4(), uuid.uuid4()
    token = sign_invitation(KEY, event_id=event, email=" Sam@Example.ORG ", campaign_id=campaign)
    invitation = verify_invitation(KEY, token)
    assert (invitation.event_id, invitation.email, invitation.campaign_id) == (
        event,
        "sam@example.org",
        campaign,
    )


def test_expired_other_key_and_garbage_are_refused() -> None:
    args = {"event_id": uuid.uuid4(), "email": "a@example.org", "campaign_id": uuid.uuid4()}
    expired = sign_invitation(KEY, expires_at=datetime.now(UTC) - timedelta(seconds=1), **args)
    with pytest.raises(InvalidInvitation, match="expired"):
        verify_invitation(KEY, expired)
    with pytest.raises(InvalidInvitation):
        verify_invitation("other" * 10, sign_invitation(KEY, **args))
    with pytest.raises(InvalidInvitation):
        verify_invitation(KEY, "not-a-token")
