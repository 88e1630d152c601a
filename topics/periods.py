"""Calendar bins for the timeline and for emerging topics: the finest of day, week, month, quarter or year that keeps the span
within :data:`MAX_BINS`, so a fortnight is read by day and a decade by year, gaps included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

UNITS = ("day", "week", "month", "quarter", "year")
MAX_BINS = 36
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(published: str) -> date:
    return date.fromisoformat(published[:10])


def _index(day: date, unit: str) -> int:
    """Bins counted from year 1: weeks start on Monday (``date(1, 1, 1)`` is one)."""
    if unit == "day":
        return day.toordinal()
    if unit == "week":
        return (day.toordinal() - 1) // 7
    if unit == "month":
        return day.year * 12 + day.month - 1
    if unit == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    return day.year


def _name(index: int, unit: str) -> str:
    """ISO 8601 names: 2024-11-20, 2024-W47, 2024-11, 2024-Q4, 2024."""
    if unit == "day":
        return date.fromordinal(index).isoformat()
    if unit == "week":
        year, week, _ = date.fromordinal(index * 7 + 1).isocalendar()
        return f"{year:04d}-W{week:02d}"
    if unit == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    if unit == "quarter":
        return f"{index // 4:04d}-Q{index % 4 + 1}"
    return f"{index:04d}"


def choose_unit(dates: list[str]) -> str | None:
    """The finest unit giving at most :data:`MAX_BINS` bins from the first to the last date."""
    if not dates:
        return None
    first, last = _day(min(dates)), _day(max(dates))
    return next((u for u in UNITS[:-1] if _index(last, u) - _index(first, u) < MAX_BINS), "year")


def periods(dates: list[str], unit: str) -> list[str]:
    """Every bin from the first date's to the last date's, empty ones included, so time is drawn to scale."""
    first, last = _index(_day(min(dates)), unit), _index(_day(max(dates)), unit)
    return [_name(i, unit) for i in range(first, last + 1)]


def period_of(published: str, unit: str) -> str:
    """The bin of one publication date (ISO, date or date-time)."""
    return _name(_index(_day(published), unit), unit)


def short_label(period: str, with_year: bool = True) -> str:
    """An axis label: "18 Nov 2024" for a day or the Monday of a week, "Nov 2024", "Q4 2024", "2024"."""
    if "-W" in period:
        year, week = period.split("-W")
        day = date.fromisocalendar(int(year), int(week), 1)
    elif len(period) == 10:
        day = date.fromisoformat(period)
    elif "-Q" in period:
        year, quarter = period.split("-Q")
        return f"Q{quarter} {year}" if with_year else f"Q{quarter}"
    elif len(period) == 7:
        month = _MONTHS[int(period[5:]) - 1]
        return f"{month} {period[:4]}" if with_year else month
    else:
        return period
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text



@dataclass(frozen=True)
class Timeline:
    """Dated articles in calendar bins: every bin from the first date's to the last's (``unit`` ``None``
    and no bins when nothing is dated), the dated articles of each, and per topic the articles whose
    main topic it is."""

    unit: str | None
    periods: list[str]
    totals: list[int]
    counts: dict[int, list[int]]

    def series(self, topic: int) -> list[int]:
        """A topic's articles per period (zeros for a topic that is no article's main topic)."""
        return self.counts.get(topic, [0] * len(self.periods))


def timeline(dates: list[str], dated: list[tuple[str, int]]) -> Timeline:
    """Bin ``dates`` (every dated article's) and ``dated`` ((date, main topic) of those with one), the
    report's timeline and the topics page's trends alike."""
    unit = choose_unit(dates)
    if unit is None:
        return Timeline(None, [], [], {})
    names = periods(dates, unit)
    row = {name: i for i, name in enumerate(names)}
    totals = [0] * len(names)
    for published in dates:
        totals[row[period_of(published, unit)]] += 1
    counts: dict[int, list[int]] = {}
    for published, topic in dated:
        counts.setdefault(topic, [0] * len(names))[row[period_of(published, unit)]] += 1
    return Timeline(unit, names, totals, counts)
