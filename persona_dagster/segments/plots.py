"""Silhouette curves as a PNG for asset metadata (Agg canvas, no pyplot global state)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def plot_silhouette_curves(
    curves: Mapping[str, Mapping[int, float]], path: str | Path, title: str = "Silhouette (cosine) by k"
) -> Path:
    """One line per featurizer (e.g. SessionBERT, generic BERT, TF-IDF), its best k starred; returns the PNG path."""
    if not curves or any(not scores for scores in curves.values()):
        raise ValueError("every curve needs at least one (k, silhouette) point")
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for name, scores in curves.items():
        ks = sorted(scores)
        line = axes.plot(ks, [scores[k] for k in ks], marker="o", label=name)[0]
        best = max(ks, key=lambda k: (scores[k], -k))  # ties -> smaller k, as the sweep chooses
        axes.plot([best], [scores[best]], marker="*", markersize=14, color=line.get_color())
    axes.set_xlabel("k (clusters)")
    axes.set_ylabel("silhouette (cosine)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, format="png")
    return out
