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
    zero: float  # where the value 0 is: the bars start there
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
            step = factor * magnitude
            return step.quantize(Decimal(1)) if step >= 1 else step  # 20, not 2E+1
    return 10 * magnitude  # pragma: no cover - the loop always returns


def value_ticks(minimum: Decimal, maximum: Decimal) -> list[Decimal]:
    """Round ticks from at or below ``min(minimum, 0)`` to at or above ``max(maximum, 0)``, through 0."""
    low, high = min(Decimal(minimum), Decimal(0)), max(Decimal(maximum), Decimal(0))
    step = nice_step(high - low)
    first = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    ticks = [first]
    while ticks[-1] < high or len(ticks) < 2:
        ticks.append(ticks[-1] + step)
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
    """Bars for ``points`` of (label, value): vertical (hours, days) or horizontal (categories).

    Negative values (a day of more refunds than sales) go below (or left of) the zero line.
    """
    values = [Decimal(value) for _, value in points]
    ticks = value_ticks(min(values, default=Decimal(0)), max(values, default=Decimal(0)))
    bottom, top = ticks[0], ticks[-1]
    if horizontal:
        left = 150  # category names
        height = TOP + BOTTOM + 28 * max(len(points), 3)
    else:
        left = LEFT
        height = HEIGHT
    plot_left, plot_top, plot_right, plot_bottom = left, TOP, width - RIGHT, height - BOTTOM
    band = ((plot_bottom - plot_top) if horizontal else (plot_right - plot_left)) / max(len(points), 1)

    def position(value: Decimal) -> float:
        share = float((value - bottom) / (top - bottom))
        if horizontal:
            return plot_left + share * (plot_right - plot_left)
        return plot_bottom - share * (plot_bottom - plot_top)

    zero = position(Decimal(0))
    bars = []
    for index, ((label, _), value) in enumerate(zip(points, values, strict=True)):
        end = position(value)
        if horizontal:
            y = plot_top + index * band + band * 0.15
            bars.append(Bar(min(zero, end), y, abs(end - zero), band * 0.7, label, format_value(value)))
        else:
            x = plot_left + index * band + band * 0.1
            bars.append(Bar(x, min(zero, end), band * 0.8, abs(end - zero), label, format_value(value)))
    axis = [Tick(position(tick), format_value(tick)) for tick in ticks]
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
        zero=zero,
        bars=bars,
        value_ticks=axis,
        category_ticks=categories,
    )
