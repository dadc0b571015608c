"""Small PNG plots for asset metadata and MLflow (Agg backend, no global pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def line_plot(
    series: Mapping[str, Sequence[tuple[float, float]]], path: Path, title: str, xlabel: str, ylabel: str
) -> Path:
    """One line per named series of (x, y) points, saved as PNG."""
    figure = Figure(figsize=(6, 3.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for name, points in series.items():
        if points:
            xs, ys = zip(*points)
            axes.plot(xs, ys, marker="." if len(points) < 40 else None, label=name)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    if len(series) > 1:
        axes.legend()
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
