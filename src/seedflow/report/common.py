"""What every report shares: the MNE report object, HTML tables and an atomic save."""

from __future__ import annotations

import html
import logging
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mne  # noqa: E402

from seedflow.atomic import replaced  # noqa: E402

log = logging.getLogger(__name__)

# Lossy WebP keeps a page of topomaps and traces small (lossless images made reports ~4 MB).
IMAGE_FORMAT = "webp-lossy"
MAX_WIDTH_INCHES = 10  # at 100 dpi: 1000 px, about the width of the report's content column


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
    return mne.Report(title=title, image_format=IMAGE_FORMAT, img_max_width=None,
                      img_max_res=100, verbose="error")


def fit_width(fig: plt.Figure) -> None:
    """Shrink a figure wider than the page to its width, keeping its aspect ratio.

    (Figures are sized here rather than by mne.Report's img_max_width, which changes the dpi
    to a fraction and can skew the image.)
    """
    width, height = fig.get_size_inches()
    if width > MAX_WIDTH_INCHES:
        fig.set_size_inches(MAX_WIDTH_INCHES, height * MAX_WIDTH_INCHES / width)


def add_figure(report: mne.Report, fig: plt.Figure, title: str, tags: tuple[str, ...],
               caption: str | None = None) -> None:
    """Add ``fig`` to ``report`` and free it."""
    fit_width(fig)
    report.add_figure(fig, title=title, caption=caption, tags=tags)
    plt.close(fig)


# The palette of trace figures: white, three greys, black, and red for flagged channels.
LINE_PALETTE = (255, 255, 255, 200, 200, 200, 140, 140, 140, 80, 80, 80, 0, 0, 0,
                214, 39, 40, 240, 160, 160)


def add_line_figure(report: mne.Report, fig: plt.Figure, title: str, tags: tuple[str, ...],
                    caption: str | None = None) -> None:
    """Add a figure of dense thin black (or red) lines, such as EEG traces, as a PNG with
    a 7-colour palette.

    Dozens of noisy traces defeat both WebP modes (~0.5 MB a figure); a palette PNG of the
    same figure is a third of that and looks the same.
    """
    from PIL import Image

    fit_width(fig)
    palette = Image.new("P", (1, 1))
    palette.putpalette(LINE_PALETTE)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figure.png"
        fig.savefig(path, dpi=100)
        image = Image.open(path).convert("RGB")
        image.quantize(palette=palette, dither=Image.Dither.NONE).save(path, optimize=True)
        report.add_image(path, title=title, caption=caption, tags=tags)
    plt.close(fig)


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
