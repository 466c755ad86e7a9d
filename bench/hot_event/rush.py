"""One rush: wrk books `people` new people on one event (or on several in turn), with the CPU
each part of the system used meanwhile and what the rows say afterwards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bench.hot_event import cpu, measure
from bench.hot_event.measure import WrkResult
from bench.hot_event.stage import Server, Stage


@dataclass
class Rush:
    result: WrkResult
    cpu: cpu.CpuShare
    outcome: measure.Outcome

    def cpu_ms(self, label: str) -> float:
        """CPU milliseconds `label` (a group of `cpu.measure`) spent per answer; "postgresql":
        all PostgreSQL did for the bench database (`cpu.postgresql`)."""
        cores = self.cpu.cores
        share = cpu.postgresql(cores) if label == "postgresql" else cores.get(label, 0.0)
        busy = share * self.cpu.seconds
        return 1000 * busy / self.result.requests if self.result.requests else 0.0


async def rush(
    stage: Stage,
    server: Server,
    groups: dict[int, str],
    event_ids: list[uuid.UUID],
    *,
    people: int,
    seconds: float,
    connections: int,
    tag: str,
    choices: str | None = None,
) -> Rush:
    """`people` answers (wrk's two threads take half each), within `seconds`. With several
    events, each request books on the next one in turn and the outcome counts them all."""
    per_thread = (people + 1) // 2
    paths = "|".join(f"/public/events/{e}/bookings" for e in event_ids)
    script_args = (tag, str(per_thread), choices or "-", paths if len(event_ids) > 1 else "-")
    result, share = cpu.measure(
        groups,
        lambda: measure.wrk(
            f"{server.url}/public/events/{event_ids[0]}/bookings",
            script="book.lua",
            seconds=seconds,
            connections=connections,
            args=script_args,
        ),
        database=stage.database,
    )
    # outcomes() also lets the relay drain the outbox, so the next rush starts from quiet.
    parts = await measure.outcomes(stage.database, event_ids)
    outcome = parts[0] if len(parts) == 1 else measure.combined(parts)
    assert isinstance(result, WrkResult)
    return Rush(result, share, outcome)
