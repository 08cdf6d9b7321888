"""Chart geometry for the reports dashboard, drawn server-side as SVG (no JavaScript, nothing from another site).

The functions here turn numbers into coordinates; the templates write the SVG
elements (``_charts.html``), so every label still passes Jinja2's escaping.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

#: Most bars drawn in the volume chart: longer windows are grouped into weeks or months.
MAX_BARS = 92


class DayPoint(Protocol):
    day: dt.date
    messages: int
    passed: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class VolumeChart:
    """Messages per period as bars, the DMARC pass rate as a line (right axis, 0-100 %)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: tuple[Bar, ...]
    lines: tuple[str, ...]  # SVG polyline points, one run of periods with messages each
    dots: tuple[tuple[float, float, str], ...]
    y_ticks: tuple[Tick, ...]
    rate_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    period: str  # day | week | month
    description: str

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom


@dataclass(frozen=True)
class BucketRow:
    bucket: str
    label: str
    messages: int
    sources: int
    y: float
    width: float
    share: float


@dataclass(frozen=True)
class BucketChart:
    width: int
    height: int
    label_width: int
    row_height: int
    rows: tuple[BucketRow, ...]
    description: str


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def short_number(value: float) -> str:
    """``1200`` -> ``1.2k``, ``3000000`` -> ``3M``."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:g}"


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    return day


def _next_period(start: dt.date, period: str) -> dt.date:
    if period == "day":
        return start + dt.timedelta(days=1)
    if period == "week":
        return start + dt.timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start.replace(year=start.year + 1)


def _group(series: Sequence[DayPoint], max_bars: int) -> tuple[str, list[tuple[dt.date, int, int]]]:
    """One slot per day, week, month or year over the whole span (the first that fits
    ``max_bars``), days without reports as empty slots, so the x axis is time."""
    days = sorted((p.day, int(p.messages), int(p.passed)) for p in series)
    if not days:
        return "day", []
    first, last = days[0][0], days[-1][0]
    span = (last - first).days + 1
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if span <= max_bars:
        period = "day"
    elif span <= max_bars * 7:
        period = "week"
    elif months <= max_bars:
        period = "month"
    else:
        period = "year"
    grouped: dict[dt.date, list[int]] = {}
    start = _period_start(first, period)
    while start <= last:
        grouped[start] = [0, 0]
        start = _next_period(start, period)
    for day, messages, passed in days:
        slot = grouped[_period_start(day, period)]
        slot[0] += messages
        slot[1] += passed
    return period, [(k, v[0], v[1]) for k, v in grouped.items()]


def _period_label(day: dt.date, period: str) -> str:
    if period == "year":
        return str(day.year)
    if period == "month":
        return day.strftime("%b %Y")
    if period == "week":
        return f"week of {day.isoformat()}"
    return day.isoformat()


def volume_chart(series: Sequence[DayPoint], *, width: int = 720, height: int = 230,
                 max_bars: int = MAX_BARS) -> VolumeChart:
    """Bars of messages per period and a pass-rate line; ``series`` in day order."""
    left, right, top, bottom = 40, 38, 12, 34
    period, points = _group(series, max_bars)
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_ceiling(max((m for _, m, _ in points), default=0))
    slot = plot_w / max(len(points), 1)
    gap = min(2.0, slot * 0.2)
    bars: list[Bar] = []
    dots: list[tuple[float, float, str]] = []
    runs: list[list[str]] = [[]]
    for i, (day, messages, passed) in enumerate(points):
        h = plot_h * messages / top_value
        x = left + i * slot
        rate = passed / messages if messages else None
        pct = f"{rate:.1%}" if rate is not None else "no messages"
        title = f"{_period_label(day, period)}: {messages:,} message{'' if messages == 1 else 's'}, {pct} passed DMARC"
        bars.append(Bar(round(x + gap / 2, 2), round(top + plot_h - h, 2), round(max(slot - gap, 0.5), 2),
                        round(h, 2), title))
        if rate is None:
            runs.append([])  # no line across a period without reports
        else:
            cx, cy = round(x + slot / 2, 2), round(top + plot_h * (1 - rate), 2)
            runs[-1].append(f"{cx},{cy}")
            dots.append((cx, cy, title))
    y_ticks = tuple(Tick(round(top + plot_h * (1 - f), 2), short_number(top_value * f)) for f in (0, 0.5, 1))
    rate_ticks = tuple(Tick(round(top + plot_h * (1 - f), 2), f"{f:.0%}") for f in (0, 0.5, 1))
    x_ticks: list[Tick] = []
    if points:
        wanted = sorted({0, len(points) // 2, len(points) - 1})
        for i in wanted:
            day = points[i][0]
            label = str(day.year) if period == "year" else (
                day.strftime("%b %Y") if period == "month" else day.isoformat())
            x_ticks.append(Tick(round(left + i * slot + slot / 2, 2), label))
    total = sum(m for _, m, _ in points)
    passed_total = sum(p for _, _, p in points)
    if points:
        description = (f"{total:,} messages from {points[0][0].isoformat()} to {points[-1][0].isoformat()} "
                       f"(one bar per {period}); {passed_total / total:.1%} passed DMARC" if total else
                       "no messages reported")
    else:
        description = "no reports in this period"
    lines = tuple(" ".join(run) for run in runs if len(run) > 1)
    return VolumeChart(width, height, left, right, top, bottom, tuple(bars), lines, tuple(dots),
                       y_ticks, rate_ticks, tuple(x_ticks), period, description)


BUCKET_LABELS = {
    "authorized": "Authorized (aligned pass)",
    "forwarded": "Forwarded",
    "misconfigured": "Your mail, not aligned",
    "unauthorized": "Unauthorized (spoofing)",
}


def bucket_chart(totals: Sequence[tuple[str, int, int]], *, width: int = 640, label_width: int = 200) -> BucketChart:
    """One horizontal bar per bucket: ``totals`` is (bucket, messages, sources)."""
    row_height = 30
    biggest = max((m for _, m, _ in totals), default=0) or 1
    whole = sum(m for _, m, _ in totals)
    room = width - label_width - 110
    rows = tuple(
        BucketRow(bucket, BUCKET_LABELS.get(bucket, bucket), messages, sources, i * row_height,
                  round(room * messages / biggest, 2), messages / whole if whole else 0.0)
        for i, (bucket, messages, sources) in enumerate(totals))
    description = "; ".join(f"{r.label}: {r.messages:,} message{'' if r.messages == 1 else 's'} from "
                            f"{r.sources:,} source{'' if r.sources == 1 else 's'}" for r in rows)
    return BucketChart(width, row_height * len(rows) + 4, label_width, row_height, rows, description)
