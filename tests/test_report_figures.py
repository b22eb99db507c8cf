"""Every figure of the reports reaches the page as drawn: each embedded image is decoded and
compared with a direct rendering of the same figure, in size and content.

The direct rendering is taken while the report is built: ``Figure.savefig`` is watched, and
when the report code saves a figure (to embed it) the test first renders that figure itself
with matplotlib's PNG writer -- whole, at 100 dpi, cropped to what is drawn with a 0.05-in
margin. A sheared image (wrong row stride) differs in content, a cut one in size.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from seedflow.report import common, results  # noqa: E402
from seedflow.report.subject import subject_report  # noqa: E402
from seedflow.report.summary import summary_report  # noqa: E402

DPI = 100
MARGIN_INCHES = 0.05  # the reports' margin around what is drawn
# Mean absolute difference (0-255) allowed between embedded and direct images, both averaged
# over BLOCK x BLOCK pixel blocks first: compression noise (lossy WebP, the traces' 7-colour
# palette) averages out within a block, a drawing shifted by a pixel or more does not.
BLOCK = 8
MAX_MEAN_DIFF = 3.0
FIGURE_IMG = re.compile(r'<img class="figure-img[^"]*"[^>]*?src="data:image/[a-z+]+;base64,'
                        r'([A-Za-z0-9+/=]+)"')


def embedded_figures(html: str) -> list[Image.Image]:
    """Every figure image of an MNE report's HTML, decoded, as RGB."""
    return [Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB")
            for b64 in FIGURE_IMG.findall(html)]


@contextlib.contextmanager
def direct_renderings():
    """Yield a list that receives the direct rendering of every figure the code saves."""
    references: list[Image.Image] = []
    original = Figure.savefig
    rendering = False

    def savefig(fig, *args, **kwargs):
        nonlocal rendering
        if not rendering:  # our own rendering goes through savefig too
            rendering = True
            try:
                buffer = io.BytesIO()
                original(fig, buffer, format="png", dpi=DPI, bbox_inches="tight",
                         pad_inches=MARGIN_INCHES, facecolor="white")
                references.append(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
            finally:
                rendering = False
        return original(fig, *args, **kwargs)

    Figure.savefig = savefig
    try:
        yield references
    finally:
        Figure.savefig = original


def block_diff(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two equally sized images' BLOCK-pixel block means."""
    def blocks(image):
        x = np.asarray(image, float)
        h, w = (s // BLOCK * BLOCK for s in x.shape[:2])
        return x[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK, 3).mean(axis=(1, 3))
    return float(np.abs(blocks(a) - blocks(b)).mean())


def mismatches(html: str, references: list[Image.Image]) -> list[str]:
    """One line per embedded figure that differs from its direct rendering."""
    images = embedded_figures(html)
    assert len(images) == len(references) > 0, (len(images), len(references))
    bad = []
    for i, (image, reference) in enumerate(zip(images, references)):
        what = (f"figure {i}: direct rendering {reference.size[0]}x{reference.size[1]} px, "
                f"embedded {image.size[0]}x{image.size[1]} px")
        if image.size != reference.size:
            bad.append(f"{what}: size differs")
        elif (diff := block_diff(image, reference)) > MAX_MEAN_DIFF:
            bad.append(f"{what}: mean |diff| {diff:.1f}/255")
    return bad


def test_figure_whose_pixel_width_is_not_an_integer_is_embedded_as_drawn():
    """4 subjects x 2 records: a 9.2-in chart, 919.999... px at 100 dpi (it came out sheared)."""
    folds = {f"sub-{s}_ses-{k}": 0.4 + 0.05 * s + 0.02 * k for s in range(1, 5) for k in (1, 2)}
    records = [{"model": m, "protocol": "subject_dependent", "chance_level": 1 / 3,
                "folds": folds} for m in ("cnn4d", "dnn")]
    fig = results.accuracy_per_subject(records)
    assert fig.get_size_inches()[0] == pytest.approx(9.2)
    report = common.new_report("t")
    with direct_renderings() as references:
        common.add_figure(report, fig, "Accuracy per subject", ("results",))
    bad = mismatches(report._content[0].html, references)
    assert not bad, bad
    (reference,) = references
    # The whole 920 x 320-px canvas less its white margins.
    assert 850 < reference.size[0] <= 920 and 250 < reference.size[1] <= 320, reference.size
    # The comparison sees a shear: the same pixels read with rows one pixel shorter.
    w, h = reference.size
    pixels = np.asarray(reference).reshape(-1, 3)[:(w - 1) * h].reshape(h, w - 1, 3)
    assert block_diff(Image.fromarray(pixels), reference.crop((0, 0, w - 1, h))) > MAX_MEAN_DIFF


@pytest.mark.slow
def test_every_figure_of_both_reports_is_embedded_as_drawn(tiny_run, tmp_path):
    workdir, result = tiny_run
    assert result.returncode == 0, result.stderr[-5000:]
    res = workdir / "results"
    gan_dir = res / "synthetic" / "signal_gan" / "pooled"
    with direct_renderings() as references:
        summary_report(metrics_path=res / "summary" / "metrics.json", gan_dir=gan_dir,
                       first_store=res / "ingest" / "sub-1" / "ses-1.zarr", configuration="",
                       sources=[], out=tmp_path / "summary.html")
    bad = mismatches((tmp_path / "summary.html").read_text(), references)
    assert not bad, "summary report:\n" + "\n".join(bad)
    metrics = json.loads((res / "summary" / "metrics.json").read_text())
    fold_dirs = [res / "models" / r["model"] / r["protocol"] / f for r in metrics
                 if not r.get("augmentation") for f in r["folds"]
                 if f == "sub-1" or f.startswith("sub-1_")]
    assert fold_dirs
    with direct_renderings() as references:
        subject_report(subject="1", stores=[res / "ingest" / "sub-1" / "ses-1.zarr"],
                       feature_stores=[res / "features" / "sub-1" / "ses-1.zarr"],
                       fold_dirs=fold_dirs, samples=gan_dir / "samples.zarr",
                       out=tmp_path / "sub-1.html", excerpt_seconds=5)
    bad = mismatches((tmp_path / "sub-1.html").read_text(), references)
    assert not bad, "subject report:\n" + "\n".join(bad)
