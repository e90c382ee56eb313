"""Server-rendered SVG charts: geometry here, markup in templates/cohorts/leaderboard_charts.html.

No JavaScript and no third-party assets; every chart is drawn in a fixed viewBox and scales with
CSS. Each chart on a page also has a data table, so the numbers are there for screen readers
and text browsers.
"""

from dataclasses import dataclass, field

LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 34


@dataclass
class Tick:
    at: float
    label: object


@dataclass
class Series:
    key: str
    points: str
    last_x: float = 0.0
    last_y: float = 0.0


@dataclass
class LineChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: object
    value: float
    highlight: bool = False
    label_x: float = 0.0
    label_y: float = 0.0


@dataclass
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    bars: list[Bar] = field(default_factory=list)


def _nice_ticks(count: int, wanted: int = 6) -> list[int]:
    if count <= 0:
        return []
    step = max(1, round(count / wanted))
    ticks = list(range(0, count, step))
    if count - 1 - ticks[-1] >= step / 2:
        ticks.append(count - 1)
    return ticks


def percent_line_chart(
    *, labels: list, series: dict[str, list[float]], width: int = 800, height: int = 280
) -> LineChart:
    """Lines over `labels` (e.g. days) on a 0-100 % axis."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    n = len(labels)

    def x(i):
        return round(LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)

    def y(value):
        return round(TOP + plot_h * (1 - min(max(value, 0), 100) / 100), 1)

    lines = []
    for key, values in series.items():
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        last = (x(n - 1), y(values[-1])) if values else (0.0, 0.0)
        lines.append(Series(key=key, points=points, last_x=last[0], last_y=last[1]))
    return LineChart(
        width=width, height=height, plot_left=LEFT, plot_right=width - RIGHT,
        plot_top=TOP, plot_bottom=TOP + plot_h, series=lines,
        x_ticks=[Tick(at=x(i), label=labels[i]) for i in _nice_ticks(n)],
        y_ticks=[Tick(at=y(p), label=p) for p in (0, 25, 50, 75, 100)],
    )


def column_chart(
    *, items: list[tuple[object, float, bool]], width: int = 520, height: int = 220
) -> BarChart:
    """Vertical bars, one per (label, value, highlight)."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = max((value for _label, value, _h in items), default=0) or 1
    slot = plot_w / max(len(items), 1)
    bars = []
    for i, (label, value, highlight) in enumerate(items):
        h = round(plot_h * value / top, 1)
        bx = round(LEFT + i * slot + slot * 0.12, 1)
        bars.append(
            Bar(
                x=bx, y=round(TOP + plot_h - h, 1), width=round(slot * 0.76, 1), height=h,
                label=label, value=value, highlight=highlight,
                label_x=round(LEFT + (i + 0.5) * slot, 1), label_y=round(TOP + plot_h - h - 4, 1),
            )
        )
    return BarChart(
        width=width, height=height, plot_left=LEFT, plot_right=width - RIGHT,
        plot_bottom=TOP + plot_h, bars=bars,
    )


def row_chart(
    *, items: list[tuple[object, float, bool]], width: int = 420, label_width: int = 120
) -> BarChart:
    """Horizontal bars, one per (label, value, highlight), labels on the left."""
    row_h, gap = 28, 12
    height = TOP + len(items) * (row_h + gap) + 8
    plot_w = width - label_width - 50
    top = max((value for _label, value, _h in items), default=0) or 1
    bars = []
    for i, (label, value, highlight) in enumerate(items):
        w = round(plot_w * value / top, 1)
        y = TOP + i * (row_h + gap)
        bars.append(
            Bar(
                x=label_width, y=y, width=max(w, 2), height=row_h, label=label, value=value,
                highlight=highlight, label_x=label_width + max(w, 2) + 8, label_y=y + row_h * 0.68,
            )
        )
    return BarChart(
        width=width, height=height, plot_left=label_width, plot_right=width - RIGHT,
        plot_bottom=height - 8, bars=bars,
    )
