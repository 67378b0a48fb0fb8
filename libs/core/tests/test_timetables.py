"""Schedule math, checked against a brute-force reading of the rules (every minute of
the wall clock) and by properties over random schedules, zones and instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind_core.timetables import (
    CronTimetable,
    DagRunInfo,
    IntervalTimetable,
    ScheduleError,
    describe_schedule,
    make_timetable,
    parse_interval,
)

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
DST_ZONES = ["Europe/London", "America/New_York", "Australia/Sydney"]
MINUTE = timedelta(minutes=1)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def transitions(zone: str, year: int) -> list[datetime]:
    """UTC instants (to the hour) where the zone's offset changes in that year."""
    tz = ZoneInfo(zone)
    out = []
    at = datetime(year, 1, 1, tzinfo=UTC)
    while at.year == year:
        nxt = at + timedelta(hours=1)
        if at.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            out.append(nxt)
        at = nxt
    return out


TRANSITIONS = {zone: transitions(zone, 2026) for zone in DST_ZONES}


def fires_at(expression: str, tz: ZoneInfo, u: datetime) -> bool:
    """The rules read literally, for one whole-minute instant `u`."""
    every_hour = croniter(expression).expanded[1] == ["*"]
    local = u.astimezone(tz)
    wall = local.replace(tzinfo=None)
    if croniter.match(expression, wall) and (local.fold == 0 or every_hour):
        return True
    # A wall time skipped by a spring-forward fires as far after the gap's start.
    before = (u - timedelta(hours=3)).astimezone(tz).utcoffset()
    skipped = (u + before).replace(tzinfo=None)
    exists = skipped.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return exists != skipped and croniter.match(expression, skipped)


def brute_next(expression: str, tz: ZoneInfo, t: datetime) -> datetime:
    u = t.replace(second=0, microsecond=0) + MINUTE
    while not fires_at(expression, tz, u):
        u += MINUTE
    return u


def brute_prev(expression: str, tz: ZoneInfo, t: datetime) -> datetime:
    u = t.replace(second=0, microsecond=0)
    while not fires_at(expression, tz, u):
        u -= MINUTE
    return u


hours = st.sampled_from([0, 1, 2, 3, 4, 12, 23])
minutes = st.sampled_from([0, 15, 30, 59])
daily_or_denser = st.one_of(
    st.builds(lambda m, h: f"{m} {h} * * *", minutes, hours),
    st.builds(lambda m: f"{m} * * * *", minutes),
    st.just("*/20 * * * *"),
    st.builds(lambda m, h: f"{m} {h},{(h + 1) % 24} * * *", minutes, hours),
    st.builds(lambda m: f"{m} 1-3 * * *", minutes),
    st.just("0 */2 * * *"),
)


@st.composite
def near_a_transition(draw):
    zone = draw(st.sampled_from(DST_ZONES))
    edge = draw(st.sampled_from(TRANSITIONS[zone]))
    offset = draw(st.integers(min_value=-36 * 3600, max_value=36 * 3600))
    return zone, edge + timedelta(seconds=offset, microseconds=draw(st.integers(0, 999_999)))


@fast
@given(daily_or_denser, near_a_transition())
def test_next_and_previous_firing_match_the_rules_across_dst(expression, where):
    zone, t = where
    timetable = make_timetable(expression, timezone=zone)
    tz = ZoneInfo(zone)
    nxt = timetable.next_after(t)
    assert nxt == brute_next(expression, tz, t)
    assert timetable.latest_at_or_before(t) == brute_prev(expression, tz, t)


@fast
@given(
    st.sampled_from(ZONES),
    minutes,
    hours,
    st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)),
)
def test_a_daily_cron_fires_once_each_local_day(zone, minute, hour, start):
    timetable = make_timetable(f"{minute} {hour} * * *", timezone=zone)
    tz = ZoneInfo(zone)
    days = []
    at = start
    for _ in range(60):
        at = timetable.next_after(at)
        days.append(at.astimezone(tz).date())
    assert all(b - a == timedelta(days=1) for a, b in zip(days, days[1:], strict=False))


@fast
@given(st.sampled_from(DST_ZONES), minutes, st.sampled_from(sorted(TRANSITIONS["Europe/London"])))
def test_an_hourly_cron_fires_once_per_elapsed_hour_through_transitions(zone, minute, _):
    timetable = make_timetable(f"{minute} * * * *", timezone=zone)
    for edge in TRANSITIONS[zone]:
        at = timetable.next_after(edge - timedelta(hours=5))
        for _ in range(10):
            following = timetable.next_after(at)
            assert following - at == timedelta(hours=1)
            at = following


@pytest.mark.parametrize(
    ("zone", "expression", "day", "expected_local"),
    [
        # Spring forward: 01:30 does not exist in London on 2026-03-29; it runs at 02:30 BST.
        ("Europe/London", "30 1 * * *", "2026-03-29", ["2026-03-29T02:30:00+01:00"]),
        # Fall back: 01:30 happens twice; a daily schedule runs the first only.
        ("Europe/London", "30 1 * * *", "2026-10-25", ["2026-10-25T01:30:00+01:00"]),
        ("America/New_York", "30 2 * * *", "2026-03-08", ["2026-03-08T03:30:00-04:00"]),
        ("America/New_York", "30 1 * * *", "2026-11-01", ["2026-11-01T01:30:00-04:00"]),
        # An hourly schedule runs in both 01:00 hours.
        (
            "America/New_York",
            "0 * * * *",
            "2026-11-01",
            ["2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"],
        ),
    ],
)
def test_known_transitions(zone, expression, day, expected_local):
    timetable = make_timetable(expression, timezone=zone)
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(day).replace(tzinfo=tz)
    found = []
    at = start.astimezone(UTC) - timedelta(microseconds=1)
    while True:
        at = timetable.next_after(at)
        if at.astimezone(tz).hour > 1 and len(found) >= len(expected_local):
            break
        if at.astimezone(tz).date() != start.date():
            break
        found.append(at.astimezone(tz).isoformat())
    assert found[: len(expected_local)] == expected_local


intervals = st.one_of(
    st.integers(1, 10 * 86_400), st.sampled_from(["PT30M", "P1D", "PT2S", "P1W", "PT1H30M"])
)
instants = st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC))


@fast
@given(intervals, instants, instants)
def test_intervals_fire_on_the_start_date_grid(schedule, anchor, t):
    timetable = make_timetable(schedule, start_date=anchor)
    assert isinstance(timetable, IntervalTimetable)
    step = timetable.interval
    nxt, prev = timetable.next_after(t), timetable.latest_at_or_before(t)
    assert prev <= t < nxt and nxt - prev == step
    assert (nxt - anchor) % step == timedelta(0)


schedules = st.one_of(daily_or_denser, st.just("0 3 * * 1"), intervals)


@fast
@given(schedules, st.sampled_from(ZONES), instants, st.integers(0, 40 * 86_400))
def test_catchup_runs_exactly_the_firings_between_start_and_now(schedule, zone, start, span):
    timetable = make_timetable(schedule, timezone=zone, start_date=start)
    now = start + timedelta(seconds=span)
    created: list[DagRunInfo] = []
    last = None
    while len(created) < 300:
        info = timetable.next_run(last=last, start_date=start, end_date=None, catchup=True, now=now)
        assert info is not None
        if info.run_after > now:
            break
        assert last is None or info.logical_date > last.logical_date
        created.append(info)
        last = info
    else:
        now = created[-1].logical_date  # a dense schedule: compare the first 300
    assert created == timetable.runs_between(start, now)
    # None is skipped: between two consecutive runs nothing fires.
    for a, b in zip(created, created[1:], strict=False):
        assert timetable.next_after(a.logical_date) == b.logical_date
    if created:
        assert timetable.first_at_or_after(start) == created[0].logical_date
    assert all(
        info.data_interval_start == info.data_interval_end == info.logical_date == info.run_after
        for info in created
    )


@fast
@given(schedules, st.sampled_from(ZONES), instants, st.integers(0, 40 * 86_400))
def test_without_catchup_only_the_latest_due_firing_runs(schedule, zone, start, span):
    timetable = make_timetable(schedule, timezone=zone, start_date=start)
    now = start + timedelta(seconds=span)
    info = timetable.next_run(last=None, start_date=start, end_date=None, catchup=False, now=now)
    latest = timetable.latest_at_or_before(now)
    if latest is not None and latest >= start:
        assert info.logical_date == latest
    else:
        assert info.logical_date == timetable.first_at_or_after(start) and info.run_after > now
    after = timetable.next_run(last=info, start_date=start, end_date=None, catchup=False, now=now)
    assert after.logical_date > now


@fast
@given(schedules, st.sampled_from(ZONES), instants, st.integers(0, 20 * 86_400), st.booleans())
def test_end_date_is_respected(schedule, zone, start, span, catchup):
    timetable = make_timetable(schedule, timezone=zone, start_date=start)
    end = start + timedelta(seconds=span)
    later = end + timedelta(days=9)
    last = None
    for _ in range(300):
        info = timetable.next_run(
            last=last, start_date=start, end_date=end, catchup=catchup, now=later
        )
        if info is None:
            break
        assert start <= info.logical_date <= end
        last = info
    final = timetable.latest_at_or_before(end)
    if final is not None and final >= start:
        after_final = timetable.next_run(
            last=DagRunInfo.exact(final), start_date=start, end_date=end, catchup=catchup, now=later
        )
        assert after_final is None


def test_once_and_continuous_and_none():
    now = datetime(2026, 5, 1, tzinfo=UTC)
    once = make_timetable("@once")
    first = once.next_run(last=None, start_date=None, end_date=None, catchup=False, now=now)
    assert first == DagRunInfo.exact(now)
    assert once.next_run(last=first, start_date=None, end_date=None, catchup=False, now=now) is None
    continuous = make_timetable("@continuous")
    a = continuous.next_run(last=None, start_date=None, end_date=None, catchup=False, now=now)
    b = continuous.next_run(last=a, start_date=None, end_date=None, catchup=False, now=now)
    assert b.logical_date > a.logical_date and b.data_interval_start == a.data_interval_end
    assert (
        make_timetable(None).next_run(
            last=None, start_date=None, end_date=None, catchup=True, now=now
        )
        is None
    )
    with pytest.raises(ScheduleError):
        make_timetable(None).runs_between(now, now)


@pytest.mark.parametrize(
    ("schedule", "description"),
    [
        ("0 3 * * *", "At 03:00"),
        ("@daily", "At 00:00"),
        (None, "Never, external triggers only"),
        ("@once", "Once, as soon as possible"),
        (3600, "Every hour"),
        ("3600", "Every hour"),
        ("PT30M", "Every 30 minutes"),
        (2, "Every 2 seconds"),
        ("@continuous", "As frequently as possible, but only one run at a time"),
    ],
)
def test_descriptions_are_for_people(schedule, description):
    assert describe_schedule(schedule) == description


@pytest.mark.parametrize(
    "bad", ["P1M", "P2Y", "PT0S", 0, -5, "* * *", "0 0 30 2 *", "@fortnightly", "1 2 3 4 5 6"]
)
def test_bad_schedules_say_why(bad):
    with pytest.raises(ScheduleError):
        make_timetable(bad)


def test_interval_parsing():
    assert parse_interval("PT1H30M") == timedelta(hours=1, minutes=30)
    assert parse_interval("0 3 * * *") is None
    assert isinstance(make_timetable("*/5 * * * *"), CronTimetable)
