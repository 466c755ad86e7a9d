"""The console's two campaign waits, measured on the campaign just sent: counting a draft's
audience (who it reaches, who is left out and why) and launching the follow-up "remind those
who have not booked" (its audience resolved at launch from the campaign's invitees)."""

from __future__ import annotations

import statistics
import time

import httpx


async def audience_ms(client: httpx.AsyncClient, campaign_id: str, repeat: int = 5) -> float:
    """Median time of the audience request for a draft (the first one warms the caches)."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        (await client.get(f"/staff/campaigns/{campaign_id}/audience")).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])


async def follow_up_launch_seconds(client: httpx.AsyncClient, campaign_id: str) -> float:
    """Draft and launch the reminder, timing the launch; then cancel it (the benchmark does
    not send the campaign a second time)."""
    made = await client.post(
        f"/staff/campaigns/{campaign_id}/follow-up", json={"subject": "Still time to book"}
    )
    made.raise_for_status()
    follow_up = made.json()["id"]
    started = time.perf_counter()
    (await client.post(f"/staff/campaigns/{follow_up}/launch")).raise_for_status()
    elapsed = time.perf_counter() - started
    (await client.post(f"/staff/campaigns/{follow_up}/cancel")).raise_for_status()
    return elapsed
