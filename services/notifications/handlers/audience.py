"""A campaign's audience, resolved from the replicas: who it reaches and who it leaves out
and why. Run for the composer's count and again at launch (a follow-up's audience is its
parent's invitees as they stand at that moment, so someone who booked meanwhile is not chased)."""

from __future__ import annotations

import uuid

from services.notifications.domain import audience as rules
from services.notifications.domain.audience import Facts, Resolved
from services.notifications.domain.campaigns import Campaign, Invitee
from services.notifications.domain.emails import email_key
from services.notifications.persistence import audience as facts_store
from services.notifications.persistence import optouts, rosters
from services.notifications.privacy.reasons import without_reason
from services.notifications.privacy.suppression import suppressed_among
from services.notifications.settings import NotificationsSettings
from shared.db import UnitOfWork


async def resolve(uow: UnitOfWork, campaign: Campaign, settings: NotificationsSettings) -> Resolved:
    cohorts = [uuid.UUID(c) for c in campaign.cohort_ids]
    if campaign.kind == rules.ANNOUNCEMENT:
        filters = campaign.filters or {}
        booked = await facts_store.attendees(
            uow,
            campaign.event_id,
            statuses=filters.get("statuses") or ["confirmed"],
            option_ids=[uuid.UUID(o) for o in filters.get("option_ids") or []],
        )
        people = rules.candidates(booked, [])
        return rules.resolve(
            campaign.kind, people, await _facts(uow, campaign, people, set(), settings)
        )
    members = await rosters.members(uow, cohorts)
    removed = await facts_store.removed_members(uow, cohorts)
    if campaign.kind == rules.FOLLOW_UP:
        assert campaign.parent_id is not None
        people = await facts_store.recipients_of(uow, campaign.parent_id)
        still = {email_key(m.email) for m in members} | {email_key(e) for e in campaign.emails}
        gone = {email_key(m.email) for m in removed} - still
        return rules.resolve(
            campaign.kind, people, await _facts(uow, campaign, people, gone, settings)
        )
    people = rules.candidates(members, campaign.emails)
    resolved = rules.resolve(
        campaign.kind, people, await _facts(uow, campaign, people, set(), settings)
    )
    left = resolved.left_out + rules.off_roster(removed, people)
    return Resolved(resolved.invitees, left)


async def _facts(
    uow: UnitOfWork,
    campaign: Campaign,
    people: list[Invitee],
    gone: set[str],
    settings: NotificationsSettings,
) -> Facts:
    emails = [p.email for p in people]
    keys = {email_key(e) for e in emails}  # once, however many facts are matched against them
    announcement = campaign.kind == rules.ANNOUNCEMENT
    # Erased people are kept only as a keyed hash; they count as suppressed (privacy/).
    erased = await suppressed_among(uow, settings.privacy_hash_key.get_secret_value(), emails)
    no_reason = (
        await without_reason(uow, campaign.emails)
        if settings.campaign_contact_reason_required and campaign.kind == rules.INVITATION
        else set()
    )
    return Facts(
        booked=set() if announcement else await facts_store.booked(uow, campaign.event_id),
        opted_out=set() if announcement else await optouts.among(uow, keys),
        suppressed=await facts_store.suppressed(uow, keys) | erased,
        declined=(
            await facts_store.declined(uow, campaign.event_id)
            if campaign.kind == rules.FOLLOW_UP
            else set()
        ),
        off_roster=gone,
        no_reason=no_reason,
    )
