"""The silhouette plot is a real PNG file."""

import pytest

from persona_dagster.segments.plots import plot_silhouette_curves


def test_silhouette_curves_png(tmp_path):
    curves = {"SessionBERT": {2: 0.31, 3: 0.52, 4: 0.44}, "TF-IDF": {2: 0.12, 3: 0.10, 4: 0.09}}
    path = plot_silhouette_curves(curves, tmp_path / "plots" / "silhouette.png")
    assert path == tmp_path / "plots" / "silhouette.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    with pytest.raises(ValueError, match="at least one"):
        plot_silhouette_curves({"empty": {}}, tmp_path / "x.png")
