"""How often a running campaign's progress is counted (handlers/campaign_progress.py): each
count reads every invitee's row, so it is paced by time and by its own cost."""

from __future__ import annotations

import uuid

from services.notifications.handlers.campaign_progress import ProgressPace


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_count_waits_a_second_or_ten_times_its_own_cost() -> None:
    clock = Clock()
    pace = ProgressPace(every=1.0, share=0.1, clock=clock)
    campaign, other = uuid.uuid4(), uuid.uuid4()
    assert pace.due(campaign)  # never counted: due at once
    started = pace.now()
    clock.now += 0.01  # a 10 ms count
    pace.counted(campaign, started)
    clock.now += 0.5
    assert not pace.due(campaign)
    assert pace.due(other)  # each campaign has its own pace
    clock.now += 0.6
    assert pace.due(campaign)
    started = pace.now()
    clock.now += 0.3  # a slow count (a large campaign): the next one waits 3 s
    pace.counted(campaign, started)
    clock.now += 2.9
    assert not pace.due(campaign)
    clock.now += 0.2
    assert pace.due(campaign)


def test_a_finished_campaign_is_forgotten_and_memory_stays_bounded() -> None:
    clock = Clock()
    pace = ProgressPace(clock=clock, remembered=3)
    campaigns = [uuid.uuid4() for _ in range(5)]
    for campaign in campaigns:
        pace.counted(campaign, pace.now())
    assert [pace.due(c) for c in campaigns] == [True, True, False, False, False]
    pace.forget(campaigns[4])
    assert pace.due(campaigns[4])
