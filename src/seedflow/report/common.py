"""What every report shares: the MNE report object, HTML tables and an atomic save."""

from __future__ import annotations

import html
import io
import logging
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mne  # noqa: E402
from matplotlib.layout_engine import PlaceHolderLayoutEngine  # noqa: E402
from PIL import Image  # noqa: E402

from seedflow.atomic import replaced  # noqa: E402

log = logging.getLogger(__name__)

DPI = 100
MAX_WIDTH_INCHES = 10  # at DPI: 1000 px, about the width of the report's content column
# Space kept around the drawn artists when a figure is cropped to them (matplotlib: 0.1 in).
PAD_INCHES = 0.05
# Lossy WebP keeps a page of topomaps and traces small (lossless images made reports ~4 MB);
# the quality of MNE's "webp-lossy".
WEBP_QUALITY = 90


# A scalp map interpolates between electrodes: drawn from fewer positions it would show the
# interpolation rather than the data (MNE also fits its head sphere to 4 points or more).
MIN_TOPOMAP_CHANNELS = 4


def no_topomap(shown: list[str]) -> str:
    """Why no scalp map is drawn from the channels ``shown`` (fewer than
    :data:`MIN_TOPOMAP_CHANNELS`)."""
    return (f"No topomap: {len(shown)} channel(s) with a scalp position"
            + (f" ({', '.join(shown)})" if shown else "")
            + f"; a map needs at least {MIN_TOPOMAP_CHANNELS}.")


def new_report(title: str) -> mne.Report:
    return mne.Report(title=title, verbose="error")


def fit_width(fig: plt.Figure) -> None:
    """Shrink a figure wider than the page to its width, keeping its aspect ratio, and lay it
    out again at that size (margins computed for the wider figure would cut its labels)."""
    width, height = fig.get_size_inches()
    if width <= MAX_WIDTH_INCHES:
        return
    fig.set_size_inches(MAX_WIDTH_INCHES, height * MAX_WIDTH_INCHES / width)
    # fig.tight_layout() leaves this placeholder behind; constrained layout redoes itself.
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        fig.tight_layout()


def render(fig: plt.Figure) -> Image.Image:
    """``fig`` as an RGB image at :data:`DPI`, cropped to everything drawn (a label that
    sticks out of the canvas is kept, not cut).

    We render figures ourselves rather than through mne.Report.add_figure: MNE reads
    matplotlib's raw pixel buffer with a row width of int(fig.bbox.width), one pixel less
    than the canvas when that width is a hair under an integer (9.2 in × 100 dpi =
    919.999… px), which shears the image. A PNG carries its own size.
    """
    # Constrained layout is redone at every draw and may move a pixel on the next one: lay
    # out once and freeze it, so the image is the figure as laid out.
    fig.canvas.draw()
    fig.set_layout_engine("none")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=PAD_INCHES,
                facecolor="white")
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _add_image(report: mne.Report, image: Image.Image, suffix: str, title: str,
               tags: tuple[str, ...], caption: str | None, **save_kwargs) -> None:
    """Embed ``image`` encoded as ``suffix`` (mne.Report.add_image embeds a file's bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"figure.{suffix}"
        image.save(path, **save_kwargs)
        report.add_image(path, title=title, caption=caption, tags=tags)


def add_figure(report: mne.Report, fig: plt.Figure, title: str, tags: tuple[str, ...],
               caption: str | None = None) -> None:
    """Add ``fig`` to ``report`` as a lossy WebP and free it."""
    fit_width(fig)
    image = render(fig)
    plt.close(fig)
    _add_image(report, image, "webp", title, tags, caption, lossless=False,
               quality=WEBP_QUALITY)


# The palette of trace figures: white, three greys, black, and red for flagged channels.
LINE_PALETTE = (255, 255, 255, 200, 200, 200, 140, 140, 140, 80, 80, 80, 0, 0, 0,
                214, 39, 40, 240, 160, 160)


def add_line_figure(report: mne.Report, fig: plt.Figure, title: str, tags: tuple[str, ...],
                    caption: str | None = None) -> None:
    """Add a figure of dense thin black (or red) lines, such as EEG traces, as a PNG with
    a 7-colour palette, and free it.

    Dozens of noisy traces defeat both WebP modes (~0.5 MB a figure); a palette PNG of the
    same figure is a third of that and looks the same.
    """
    fit_width(fig)
    image = render(fig)
    plt.close(fig)
    palette = Image.new("P", (1, 1))
    palette.putpalette(LINE_PALETTE)
    _add_image(report, image.quantize(palette=palette, dither=Image.Dither.NONE), "png",
               title, tags, caption, optimize=True)


def html_table(header: list[str], rows: list[list], note: str = "", small: bool = False) -> str:
    """A Bootstrap table (MNE reports ship Bootstrap's CSS) with an optional note below;
    ``small``: a smaller font that breaks long words (paths, checksums)."""
    cell = '<td class="text-break">' if small else "<td>"
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"{cell}{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    table = (f'<table class="table table-sm table-striped{" small" if small else ""}">'
             f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return table + (f'<p class="text-muted small">{html.escape(note)}</p>' if note else "")


def save(report: mne.Report, out: Path) -> None:
    """Write the self-contained HTML file; only a complete file appears at ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with replaced(out, ending=".html") as tmp:
        report.save(tmp, overwrite=True, open_browser=False, verbose="error")
    log.info("report written to %s (%.1f MB)", out, out.stat().st_size / 1e6)
