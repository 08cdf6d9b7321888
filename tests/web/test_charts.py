"""Chart geometry (server-side SVG)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mailwarden.web.charts import bucket_chart, nice_ceiling, short_number, volume_chart


@dataclass(frozen=True)
class Day:
    day: dt.date
    messages: int
    passed: int


def test_nice_ceiling_and_short_numbers():
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 11, 180, 2400, 9001)] == [1, 1, 5, 10, 20, 200, 2500, 10000]
    assert [short_number(v) for v in (0, 950, 1200, 2500000)] == ["0", "950", "1.2k", "2.5M"]


def test_days_are_slots_on_a_time_axis():
    start = dt.date(2026, 1, 1)
    chart = volume_chart([Day(start, 10, 5), Day(start + dt.timedelta(days=9), 20, 20)])
    assert chart.period == "day" and len(chart.bars) == 10  # the 8 days without reports are empty slots
    assert chart.bars[0].height == chart.bars[9].height / 2 and chart.bars[1].height == 0
    assert [t.label for t in chart.x_ticks] == ["2026-01-01", "2026-01-06", "2026-01-10"]
    assert "50.0% passed" in chart.bars[0].title
    assert chart.lines == ()  # no line drawn across the eight empty days
    assert len(chart.dots) == 2
    joined = volume_chart([Day(start + dt.timedelta(days=i), 4, i) for i in range(3)])
    assert len(joined.lines) == 1 and len(joined.lines[0].split()) == 3
    assert chart.bars[0].x < chart.bars[9].x and chart.plot_right == chart.width - chart.right


def test_long_windows_are_grouped():
    start = dt.date(2025, 1, 1)
    year = [Day(start + dt.timedelta(days=i), 1, 1) for i in range(365)]
    weekly = volume_chart(year)
    assert weekly.period == "week" and len(weekly.bars) <= 92
    assert "7 messages" in weekly.bars[1].title
    decades = volume_chart([Day(dt.date(1979, 8, 7), 5, 0), Day(dt.date(2024, 6, 13), 5, 5)])
    assert decades.period == "year" and len(decades.bars) == 2024 - 1979 + 1


def test_empty_and_zero_series():
    assert volume_chart([]).bars == () and volume_chart([]).description == "no reports in this period"
    flat = volume_chart([Day(dt.date(2026, 1, 1), 0, 0)])
    assert flat.bars[0].height == 0 and flat.lines == () and flat.dots == ()


def test_bucket_bars_scale_to_the_biggest():
    chart = bucket_chart([("authorized", 100, 3), ("forwarded", 0, 0), ("misconfigured", 25, 1),
                          ("unauthorized", 50, 9)])
    widths = [r.width for r in chart.rows]
    assert widths[1] == 0 and widths[0] == 2 * widths[3] == 4 * widths[2]
    assert chart.rows[3].label.startswith("Unauthorized") and round(chart.rows[0].share, 3) == 0.571
    assert "9 sources" in chart.description and "1 source;" in chart.description
