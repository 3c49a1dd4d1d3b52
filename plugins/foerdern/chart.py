"""A horizontal bar chart drawn on the server (SVG, no script), readable from a phone to a wide screen.

The SVG has no viewBox: its text keeps its size at any width, while the bars are percentages of
the width. Each bar has its label above it and its value at its end; the longest bar takes
``SCALE`` of the width, leaving room for its value.
"""

from __future__ import annotations

from dataclasses import dataclass

ROW_HEIGHT, LABEL_HEIGHT, BAR_HEIGHT = 46, 16, 16
SCALE = 85.0  # percent of the width for the longest bar


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    label_y: int  # the label's baseline
    bar_y: int
    percent: float  # the bar's width, in percent of the chart's


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    bar_height: int = BAR_HEIGHT

    @property
    def description(self) -> str:
        """The chart in words, its text alternative: "Sprache: 3; Arbeit: 1"."""
        return "; ".join(f"{bar.label}: {bar.value}" for bar in self.bars)


def bar_chart(items: list[tuple[str, int]]) -> BarChart:
    """Bars for ``(label, value)`` pairs, in their order."""
    largest = max((value for _label, value in items), default=0) or 1
    bars = [Bar(label, value, row * ROW_HEIGHT + LABEL_HEIGHT - 2, row * ROW_HEIGHT + LABEL_HEIGHT + 4,
                round(value / largest * SCALE, 2)) for row, (label, value) in enumerate(items)]
    return BarChart(bars, max(len(items), 1) * ROW_HEIGHT)
