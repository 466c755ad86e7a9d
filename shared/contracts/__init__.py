"""The message contract: one envelope, and a versioned payload model per message type.

`REGISTRY` maps each routing key to its current payload version and model; consumers call
`parse_payload` and get the typed payload back. Adding a field with a default keeps old
messages parsing (tests hold samples of every version that was ever published).
"""

from shared.contracts.bookings import (
    AttendanceMarked,
    Attendee,
    BookingCancelled,
    BookingChanged,
    BookingChoice,
    BookingState,
)
from shared.contracts.catalogue import (
    AudienceState,
    CohortMemberAdded,
    CohortMemberRemoved,
    EventCancelled,
    EventOption,
    EventResource,
    EventSession,
    EventState,
    OptionGroup,
    PersonOnEvent,
    VenueState,
)
from shared.contracts.envelope import Envelope, new_envelope
from shared.contracts.notifications import (
    CampaignChunkQueued,
    CampaignProgress,
    DeliveryQueued,
    EmailOutcome,
)
from shared.contracts.registry import REGISTRY, UnknownMessageType, parse_payload, payload_version

__all__ = [
    "REGISTRY",
    "AttendanceMarked",
    "Attendee",
    "AudienceState",
    "BookingCancelled",
    "BookingChanged",
    "BookingChoice",
    "BookingState",
    "CampaignChunkQueued",
    "CampaignProgress",
    "CohortMemberAdded",
    "CohortMemberRemoved",
    "DeliveryQueued",
    "EmailOutcome",
    "Envelope",
    "EventCancelled",
    "EventOption",
    "EventResource",
    "EventSession",
    "EventState",
    "OptionGroup",
    "PersonOnEvent",
    "UnknownMessageType",
    "VenueState",
    "new_envelope",
    "parse_payload",
    "payload_version",
]
