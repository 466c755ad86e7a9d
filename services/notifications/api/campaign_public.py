"""A campaign as the staff API shows it: its row and its counts, read together."""

from __future__ import annotations

from services.notifications.api.schemas import CampaignCounts, CampaignPublic
from services.notifications.domain.campaigns import Campaign
from services.notifications.handlers import campaign_progress
from shared.db import Database


async def campaign_public(db: Database, campaign: Campaign) -> CampaignPublic:
    async with db.unit_of_work() as uow:
        counts = await campaign_progress.counts(uow, campaign)
    return CampaignPublic.of(campaign, CampaignCounts.model_validate(counts, from_attributes=True))
