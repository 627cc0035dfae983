"""What the home pages share: a 待办 item, charts as data, the year and the day."""
import dataclasses
import datetime as dt

from app import clock


@dataclasses.dataclass
class Todo:
    """One thing to do: what, by when, where to do it. `due` is a Beijing date (None: no
    deadline); `when` says it in words when a time of day matters (an appointment)."""
    kind: str
    title: str
    due: dt.date | None
    link: str
    note: str = ""
    when: str = ""

    def key(self):
        return (self.due is None, self.due or dt.date.max, self.kind, self.title)

    def days_left(self, today: dt.date) -> int | None:
        return None if self.due is None else (self.due - today).days


@dataclasses.dataclass
class Chart:
    """A chart the page draws with ECharts and also shows as a table (screen readers,
    export): `categories` along one axis, each series one value per category."""
    key: str
    title: str
    kind: str  # bar | line | pie | hbar
    categories: list
    series: list  # [(name, [values…])]
    unit: str = ""
    stacked: bool = False

    def spec(self) -> dict:
        return {"kind": self.kind, "title": self.title, "unit": self.unit,
                "stacked": self.stacked, "categories": [str(c) for c in self.categories],
                "series": [{"name": name, "data": [_number(v) for v in values]}
                           for name, values in self.series]}

    def rows(self) -> list:
        """The table under the chart: one row per category, a column per series."""
        return [[category] + [values[i] for _name, values in self.series]
                for i, category in enumerate(self.categories)]


def _number(value):
    if value is None:
        return 0
    return float(value) if not isinstance(value, int) else value


def today(now: dt.datetime) -> dt.date:
    return clock.local_today(now)


def percent(part, whole) -> float | None:
    return None if not whole else round(100.0 * float(part or 0) / float(whole), 1)


def local_day(moment) -> dt.date | None:
    return None if moment is None else clock.to_local(moment).date()
