"""Bar charts as geometry for server-rendered SVG (templates/sales/partials/bar-chart.html): no ORM, no dependency.

The template draws what these functions measure: bars, the value axis with round ticks, and
the labels. Values are Decimal or int; labels are already formatted for the store.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 640
HEIGHT = 240
LEFT = 72  # room for the value axis' labels
RIGHT = 28  # room for the last value label of a horizontal chart
TOP = 12
BOTTOM = 44  # room for the category labels and the axis title
MAX_CATEGORY_LABELS = 16


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_label: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    value_title: str
    category_title: str
    horizontal: bool
    width: int
    height: int
    plot_left: float
    plot_top: float
    plot_right: float
    plot_bottom: float
    bars: list[Bar]
    value_ticks: list[Tick]
    category_ticks: list[Tick]

    @property
    def is_empty(self) -> bool:
        return not any(bar.width > 0 and bar.height > 0 for bar in self.bars)


def nice_step(maximum: Decimal, *, ticks: int = 4) -> Decimal:
    """A round tick step (1, 2 or 5 × 10ⁿ) so that about ``ticks`` steps reach ``maximum``."""
    if maximum <= 0:
        return Decimal(1)
    raw = Decimal(maximum) / ticks
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def value_ticks(maximum: Decimal) -> list[Decimal]:
    """0, step, 2·step, … up to the first tick at or above ``maximum``."""
    step = nice_step(maximum)
    ticks = [Decimal(0)]
    while ticks[-1] < maximum:
        ticks.append(ticks[-1] + step)
    if len(ticks) == 1:
        ticks.append(step)
    return ticks


def bar_chart(
    points: Sequence[tuple[str, Decimal | int]],
    *,
    title: str,
    value_title: str,
    category_title: str,
    format_value: Callable[[Decimal], str],
    horizontal: bool = False,
    width: int = WIDTH,
) -> BarChart:
    """Bars for ``points`` of (label, value): vertical (hours, days) or horizontal (categories)."""
    values = [Decimal(value) for _, value in points]
    ticks = value_ticks(max([v for v in values if v > 0], default=Decimal(0)))
    top_value = ticks[-1]
    if horizontal:
        left = 150  # category names
        height = TOP + BOTTOM + 28 * max(len(points), 3)
    else:
        left = LEFT
        height = HEIGHT
    plot_left, plot_top, plot_right, plot_bottom = left, TOP, width - RIGHT, height - BOTTOM
    band = ((plot_bottom - plot_top) if horizontal else (plot_right - plot_left)) / max(len(points), 1)
    bars = []
    for index, ((label, _), value) in enumerate(zip(points, values, strict=True)):
        share = float(max(value, Decimal(0)) / top_value)
        if horizontal:
            length = share * (plot_right - plot_left)
            bars.append(
                Bar(plot_left, plot_top + index * band + band * 0.15, length, band * 0.7, label, format_value(value))
            )
        else:
            length = share * (plot_bottom - plot_top)
            x = plot_left + index * band + band * 0.1
            bars.append(Bar(x, plot_bottom - length, band * 0.8, length, label, format_value(value)))
    value_span = (plot_right - plot_left) if horizontal else (plot_bottom - plot_top)
    axis = [
        Tick(
            (plot_left + value_span * float(tick / top_value))
            if horizontal
            else (plot_bottom - value_span * float(tick / top_value)),
            format_value(tick),
        )
        for tick in ticks
    ]
    # Every label when they fit, else every n-th (a month of days, 24 hours on a small chart).
    every = max(1, -(-len(points) // MAX_CATEGORY_LABELS)) if not horizontal else 1
    categories = [
        Tick((bar.y + bar.height / 2) if horizontal else (bar.x + bar.width / 2), bar.label)
        for index, bar in enumerate(bars)
        if index % every == 0
    ]
    return BarChart(
        title=title,
        value_title=value_title,
        category_title=category_title,
        horizontal=horizontal,
        width=width,
        height=height,
        plot_left=plot_left,
        plot_top=plot_top,
        plot_right=plot_right,
        plot_bottom=plot_bottom,
        bars=bars,
        value_ticks=axis,
        category_ticks=categories,
    )
