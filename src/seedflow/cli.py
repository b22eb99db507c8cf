"""The ``seedflow`` command: ``predict`` (per-window and per-trial predictions of a trained
model for a recording) and ``table`` (accuracy table of a run)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from seedflow.errors import SeedflowError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seedflow")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser(
        "predict", help="predict a recording with a trained model (CSV per window and trial)")
    predict.add_argument("--model", type=Path, required=True,
                         help="a fold folder: <results>/models/<model>/<protocol>/<fold>")
    predict.add_argument("--recording", type=Path, required=True,
                         help="the recording (SEED .mat)")
    predict.add_argument("--labels", type=Path, help="SEED label.mat (trial boundaries "
                         "and reference labels)")
    predict.add_argument("--sfreq", type=float, default=200.0,
                         help="sampling rate of a SEED .mat file (Hz)")
    predict.add_argument("--out", type=Path, required=True,
                         help="folder for windows.csv and trials.csv")
    table = commands.add_parser(
        "table", help="accuracy table (Markdown) of a summary metrics.json")
    table.add_argument("metrics", type=Path, help="<results>/summary/metrics.json")
    table.add_argument("--baseline", default="svm", help="model compared against")
    args = parser.parse_args(argv)
    if args.command == "table":
        import json

        from seedflow.metrics import markdown_table

        print(markdown_table(json.loads(args.metrics.read_text()), args.baseline))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from seedflow import predict as predicting

    try:
        source = predicting.open_recording(args.recording, args.labels, args.sfreq)
        predicting.predict_recording(args.model, source, args.out)
    except SeedflowError as err:
        print(f"seedflow error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
