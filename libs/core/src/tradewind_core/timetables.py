"""Schedules: when a DAG's runs fall due. Pure code, no I/O, usable by every service.

A DAG's `schedule` is one of: a 5-field cron expression, a preset (`@hourly` ...), a fixed
interval (seconds as a number, or an ISO 8601 duration such as "PT30M"), `@once`,
`@continuous`, or null (manual runs only).

Semantics follow Airflow 3's defaults: cron and intervals are *trigger* timetables
(Airflow's `CronTriggerTimetable` / `DeltaTriggerTimetable`). A run's `logical_date` is the
moment it is due (`run_after`), and its data interval has zero length at that moment. With
`catchup` the next run after the last scheduled one is due (every missed firing since
`start_date` in turn); without it only the latest firing that is already due (or the next
one) is run, and the ones in between are skipped.

Cron is evaluated on the wall clock of the DAG's `timezone`. Across daylight-saving
changes no firing is skipped or doubled:
- a wall time that a spring-forward skips (02:30 in a 02:00 -> 03:00 gap) fires once, as
  far after the gap's start as it would have been (03:30);
- a wall time that a fall-back repeats fires once (its first occurrence), unless the
  expression fires in every hour of the day (`30 * * * *`): then it fires in both, so an
  hourly schedule fires once per elapsed hour, as Airflow's cron timetable does.
An interval is elapsed time, not wall-clock time: it fires at `start_date + k * interval`
(or the Unix epoch + k * interval without a start date), whatever the time zone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

CRON_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
PRESETS = {*CRON_PRESETS, "@once", "@continuous"}
# What storage and protos carry: a run's dates stay within these years.
MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=366 * 100)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_WINDOW = timedelta(days=2)  # no zone changes its offset twice within two days
_MAX_STEPS = 10_000


class ScheduleError(ValueError):
    """A schedule, time zone or date that cannot be used; the message says why."""


@dataclass(frozen=True)
class DagRunInfo:
    """What a scheduled run is: its logical date, data interval and when it may start."""

    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    run_after: datetime

    @classmethod
    def exact(cls, when: datetime) -> DagRunInfo:
        return cls(when, when, when, when)


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/London' or 'UTC'"
        ) from None


def parse_interval(value: str | int | float) -> timedelta | None:
    """Seconds or an ISO 8601 duration of weeks, days, hours, minutes, seconds; None when
    `value` is not an interval at all. Months and years are calendar units, not fixed
    lengths: those need cron (`@monthly`, `@yearly`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ScheduleError("an interval must be a finite number of seconds")
        delta = timedelta(seconds=value) if abs(value) < 1e12 else MAX_INTERVAL * 2
    else:
        match = _ISO_DURATION.match(value)
        if match is None:
            if re.match(r"^P[\dYMWDTHS.]*$", value) and re.search(r"\d+[YM]", value.split("T")[0]):
                raise ScheduleError(
                    f"{value!r}: months and years have no fixed length; use @monthly, "
                    "@yearly or a cron expression"
                )
            return None
        parts = {k: float(v) for k, v in match.groupdict().items() if v}
        try:
            delta = timedelta(**parts)
        except OverflowError:
            delta = MAX_INTERVAL * 2
    if delta < MIN_INTERVAL:
        raise ScheduleError(f"an interval must be at least {MIN_INTERVAL.total_seconds():g} s")
    if delta > MAX_INTERVAL:
        raise ScheduleError("an interval must be at most 100 years")
    return delta


class Timetable:
    """When runs fall due. `periodic` timetables can be backfilled."""

    periodic = False
    summary: str | None = None

    @property
    def description(self) -> str:
        raise NotImplementedError

    def next_run(
        self,
        *,
        last: DagRunInfo | None,
        start_date: datetime | None,
        end_date: datetime | None,
        catchup: bool,
        now: datetime,
    ) -> DagRunInfo | None:
        """The run that comes after `last` (the latest scheduled run), or None."""
        raise NotImplementedError

    def runs_between(self, start: datetime, end: datetime) -> list[DagRunInfo]:
        """Every run due in [start, end] (for backfills); periodic timetables only."""
        raise ScheduleError("this schedule has no periodic runs to backfill")


class NullTimetable(Timetable):
    @property
    def description(self) -> str:
        return "Never, external triggers only"

    def next_run(self, **_: object) -> DagRunInfo | None:
        return None


class OnceTimetable(Timetable):
    summary = "@once"

    @property
    def description(self) -> str:
        return "Once, as soon as possible"

    def next_run(self, *, last, start_date, end_date, catchup, now) -> DagRunInfo | None:
        if last is not None:
            return None
        when = start_date or now
        if end_date is not None and when > end_date:
            return None
        return DagRunInfo.exact(when)


class ContinuousTimetable(Timetable):
    """A new run as soon as the previous one ends (with max_active_runs 1). Each run's
    data interval reaches from the end of the previous one to the moment it is created."""

    summary = "@continuous"

    @property
    def description(self) -> str:
        return "As frequently as possible, but only one run at a time"

    def next_run(self, *, last, start_date, end_date, catchup, now) -> DagRunInfo | None:
        start = last.data_interval_end if last is not None else (start_date or now)
        end = max(now, start, start_date or now)
        if last is not None and end <= last.logical_date:
            end = last.logical_date + timedelta(microseconds=1)
        if end_date is not None and end > end_date:
            return None
        return DagRunInfo(
            logical_date=end, data_interval_start=start, data_interval_end=end, run_after=end
        )


class _TriggerTimetable(Timetable):
    """Fires at points in time; a run's logical date is the point it is due at."""

    periodic = True

    def next_after(self, when: datetime) -> datetime | None:
        """The first firing strictly after `when`."""
        raise NotImplementedError

    def latest_at_or_before(self, when: datetime) -> datetime | None:
        """The last firing at or before `when`."""
        raise NotImplementedError

    def first_at_or_after(self, when: datetime) -> datetime | None:
        prev = self.latest_at_or_before(when)
        return when if prev == when else self.next_after(when)

    def next_run(self, *, last, start_date, end_date, catchup, now) -> DagRunInfo | None:
        after_last = self.next_after(last.logical_date) if last is not None else None
        if catchup and start_date is not None:
            when = after_last if last is not None else self.first_at_or_after(start_date)
        else:
            # Without catchup only the latest firing already due runs (Airflow's rule);
            # without a start date the schedule starts from the first firing after now.
            candidates = [after_last]
            if start_date is not None:
                candidates += [self.latest_at_or_before(now), self.first_at_or_after(start_date)]
            elif last is None:
                candidates.append(self.next_after(now))
            else:
                candidates.append(self.latest_at_or_before(now))
            present = [c for c in candidates if c is not None]
            when = max(present) if present else None
        if when is None or (end_date is not None and when > end_date):
            return None
        return DagRunInfo.exact(when)

    def runs_between(self, start: datetime, end: datetime) -> list[DagRunInfo]:
        runs: list[DagRunInfo] = []
        when = self.first_at_or_after(start)
        while when is not None and when <= end:
            runs.append(DagRunInfo.exact(when))
            if len(runs) > _MAX_RUNS_BETWEEN:
                raise ScheduleError(f"more than {_MAX_RUNS_BETWEEN} runs in that range")
            when = self.next_after(when)
        return runs


_MAX_RUNS_BETWEEN = 10_000


class IntervalTimetable(_TriggerTimetable):
    def __init__(self, interval: timedelta, raw: str | int | float, anchor: datetime | None):
        self.interval = interval
        self.summary = str(raw)
        self._anchor = anchor or _EPOCH
        self._step = _micros(interval)

    @property
    def description(self) -> str:
        return f"Every {_plain_duration(self.interval)}"

    def _index(self, when: datetime) -> int:
        return (_micros(when - self._anchor)) // self._step

    def _at(self, index: int) -> datetime | None:
        try:
            return self._anchor + timedelta(microseconds=index * self._step)
        except OverflowError:
            return None

    def next_after(self, when: datetime) -> datetime | None:
        return self._at(self._index(when) + 1)

    def latest_at_or_before(self, when: datetime) -> datetime | None:
        return self._at(self._index(when))


class CronTimetable(_TriggerTimetable):
    def __init__(self, expression: str, raw: str, tz: ZoneInfo):
        self.expression = expression
        self.summary = raw
        self.tz = tz
        try:
            cron = croniter(expression)
        except (CroniterBadCronError, CroniterBadDateError, ValueError) as exc:
            raise ScheduleError(f"{raw!r} is not a valid cron expression: {exc}") from None
        if len(cron.expanded) != 5:
            raise ScheduleError(f"{raw!r}: a cron expression has exactly 5 fields")
        # Fires in every hour of the day: a repeated (fall-back) hour gets its run too.
        self._every_hour = cron.expanded[1] == ["*"] or len(cron.expanded[1]) == 24
        if self.next_after(datetime(2000, 1, 1, tzinfo=UTC)) is None:
            raise ScheduleError(f"{raw!r} never fires")

    @cached_property
    def description(self) -> str:
        return describe_cron(self.expression)

    def _offsets(self, *instants: datetime) -> list[timedelta]:
        out = []
        for instant in instants:
            for shift in (-_WINDOW, timedelta(0), _WINDOW):
                try:
                    out.append((instant + shift).astimezone(self.tz).utcoffset() or timedelta(0))
                except OverflowError:
                    continue
        return out

    def _instants(self, wall: datetime) -> list[datetime]:
        """The instants at which a matching wall-clock time fires (see the module doc)."""
        first = wall.replace(tzinfo=self.tz, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=self.tz, fold=1).astimezone(UTC)
        if first == second:
            return [first]
        skipped = first.astimezone(self.tz).replace(tzinfo=None) != wall
        if skipped or not self._every_hour:
            return [first]  # a skipped time fires after the gap; a repeated one, once
        return [first, second]

    def next_after(self, when: datetime) -> datetime | None:
        return self._search(when, forward=True)

    def latest_at_or_before(self, when: datetime) -> datetime | None:
        return self._search(when, forward=False)

    def _search(self, when: datetime, *, forward: bool) -> datetime | None:
        """Walks matching wall times from where the nearest firing can be (an offset change
        moves instants by up to its size) until none can come nearer than the best found."""
        near, far = (min, max) if forward else (max, min)
        wall = (when + near(self._offsets(when))).replace(tzinfo=None)
        wall += timedelta(seconds=-1 if forward else 1)
        best: datetime | None = None
        limit: datetime | None = None
        try:
            cron = croniter(self.expression, start_time=wall)
            for _ in range(_MAX_STEPS):
                wall = cron.get_next(datetime) if forward else cron.get_prev(datetime)
                if limit is not None and (wall >= limit if forward else wall <= limit):
                    break
                for instant in self._instants(wall):
                    fits = instant > when if forward else instant <= when
                    nearer = best is None or (instant < best if forward else instant > best)
                    if fits and nearer:
                        best = instant
                        limit = (best + far(self._offsets(best))).replace(tzinfo=None)
        except (CroniterBadDateError, OverflowError, ValueError):
            pass  # past the calendar's end: what was found stands
        return best


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _plain_duration(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("week", 604_800), ("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return unit if count == 1 else f"{count} {unit}s"
    return "second" if seconds == 1 else f"{seconds:g} seconds"


def describe_cron(expression: str) -> str:
    """A person's reading of a cron expression ("At 03:00"), by cron-descriptor."""
    from cron_descriptor import CasingTypeEnum, ExpressionDescriptor

    try:
        return ExpressionDescriptor(
            expression, casing_type=CasingTypeEnum.Sentence, use_24hour_time_format=True
        ).get_description()
    except Exception:  # the library's own errors; the expression itself was validated
        return expression


def make_timetable(
    schedule: str | int | float | None, *, timezone: str = "UTC", start_date: datetime | None = None
) -> Timetable:
    """The timetable a DAG's `schedule` stands for; ScheduleError says what is wrong."""
    if schedule is None:
        return NullTimetable()
    if schedule == "@once":
        return OnceTimetable()
    if schedule == "@continuous":
        return ContinuousTimetable()
    tz = parse_timezone(timezone)
    if isinstance(schedule, str) and schedule.startswith("@") and schedule not in CRON_PRESETS:
        raise ScheduleError(
            f"{schedule!r} is not a preset; use one of " + ", ".join(sorted(PRESETS))
        )
    interval = parse_interval(schedule)
    if interval is not None:
        return IntervalTimetable(interval, schedule, start_date)
    if not isinstance(schedule, str):
        raise ScheduleError("a schedule is a cron expression, a preset, an interval or null")
    return CronTimetable(CRON_PRESETS.get(schedule, schedule), schedule, tz)


def describe_schedule(schedule: str | int | float | None) -> str:
    """`timetable_description` for a schedule as stored (a number may come back as text)."""
    if isinstance(schedule, str) and re.fullmatch(r"\d+(\.\d+)?", schedule):
        schedule = float(schedule)
    try:
        return make_timetable(schedule).description
    except ScheduleError:
        return str(schedule)
