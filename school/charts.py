"""Charts drawn on the server as SVG: no script, no file from elsewhere, nothing the CSP has to allow.

Each function turns numbers into the geometry that templates/charts/ draws
(in viewBox units; the SVG scales to its column). Colours come from the
stylesheet by class. A chart is an image to a screen reader: the page
that shows one also shows its numbers as text (a table).
"""

import math
from dataclasses import dataclass

LINE_WIDTH, LINE_HEIGHT = 640, 240
# Room for the y axis labels on the left and the x axis labels below.
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 30


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Line:
    name: str
    css_class: str
    points: str  # "x,y x,y …" for <polyline>
    last_x: float
    last_y: float
    last_value: int


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]

    @property
    def y_label_x(self) -> float:
        return self.left - 6

    @property
    def x_label_y(self) -> float:
        return self.height - 8


def nice_ceiling(value: int) -> int:
    """The smallest round number (1, 2, 3, 4, 5, 6, 8 or 10 times a power of ten) at or above
    value: a scale that reads at a glance and fills most of the chart's height."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 3, 4, 5, 6, 8, 10) if step * power >= value)


def line_chart(labels: list[str], lines: list[tuple[str, str, list[int]]]) -> LineChart:
    """Lines of (name, css class, one value per label) over the labels, left to right."""
    left, right, top, bottom = LEFT, LINE_WIDTH - RIGHT, TOP, LINE_HEIGHT - BOTTOM
    scale = nice_ceiling(max((max(values, default=0) for _name, _class, values in lines), default=0))
    step = (right - left) / (len(labels) - 1) if len(labels) > 1 else 0

    def x(index: int) -> float:
        return round(left + index * step if len(labels) > 1 else (left + right) / 2, 1)

    def y(value: int) -> float:
        return round(bottom - (bottom - top) * value / scale, 1)

    drawn = []
    for name, css_class, values in lines:
        points = " ".join(f"{x(index)},{y(value)}" for index, value in enumerate(values))
        last = len(values) - 1
        drawn.append(Line(name, css_class, points, x(last), y(values[last]) if values else bottom,
                          values[last] if values else 0))
    shown = sorted({0, len(labels) // 2, len(labels) - 1}) if labels else []
    return LineChart(
        LINE_WIDTH, LINE_HEIGHT, left, right, top, bottom, drawn,
        x_ticks=[Tick(x(index), labels[index]) for index in shown],
        y_ticks=[Tick(y(value), str(value)) for value in sorted({0, scale // 2, scale})],
    )


BAR_WIDTH, BAR_HEIGHT, BAR_GAP = 640, 22, 8
BAR_LABELS, BAR_TEXT = 72, 180  # room for the names on the left and the figures on the right


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y: float
    middle: float  # where its label and figure sit
    width: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bar_height: int
    label_x: int
    bars_x: int
    full_width: int
    figure_x: int
    bars: list[Bar]


def bar_chart(rows: list[tuple[str, float, str]]) -> BarChart:
    """Horizontal bars of (label, share of the full width from 0 to 1, figure shown beside it)."""
    full = BAR_WIDTH - BAR_LABELS - BAR_TEXT
    bars = [
        Bar(label, text, index * (BAR_HEIGHT + BAR_GAP), index * (BAR_HEIGHT + BAR_GAP) + BAR_HEIGHT / 2,
            round(full * min(max(share, 0.0), 1.0), 1))
        for index, (label, share, text) in enumerate(rows)
    ]
    height = max(len(rows) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT)
    return BarChart(BAR_WIDTH, height, BAR_HEIGHT, BAR_LABELS - 8, BAR_LABELS, full, BAR_LABELS + full + 8, bars)
