"""The ``seedflow`` command: ``predict`` (per-window and per-trial predictions of a trained
model for a recording), ``table`` (accuracy table of a run) and ``quality-table`` (a
generator's quality over several runs, e.g. seeds)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from seedflow.errors import SeedflowError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seedflow")
    commands = parser.add_subparsers(dest="command", required=True)
    predicting = commands.add_parser(
        "predict", help="predict a recording with a trained model (CSV per window and trial)")
    predicting.add_argument("--model", type=Path, required=True,
                            help="a fold folder: <results>/models/<model>/<protocol>/<fold> "
                            "(any model, stacking included)")
    predicting.add_argument("--recording", type=Path, required=True,
                            help="the recording, in the format of the training run's "
                            "dataset kind (or --kind)")
    predicting.add_argument("--labels", type=Path,
                            help="trial boundaries and reference labels: SEED's label.mat "
                            "(default: beside the recording), a trial table TSV (seed-v, "
                            "seed-ger, seed-fra) or a BIDS events TSV (mne; default: beside "
                            "the recording, else its annotations)")
    predicting.add_argument("--kind", help="dataset kind of the recording when it differs "
                            "from the training run's (a value of config key dataset.kind "
                            "other than simulated); its settings are the run's")
    predicting.add_argument("--subject", help="subject of the recording (DREAMER: required; "
                            "others: from the file name)")
    predicting.add_argument("--session", help="session of the recording (default: from the "
                            "file name, else 1)")
    predicting.add_argument("--out", type=Path, required=True,
                            help="folder for windows.csv and trials.csv")
    table = commands.add_parser(
        "table", help="accuracy table (Markdown) of a summary metrics.json")
    table.add_argument("metrics", type=Path, help="<results>/summary/metrics.json")
    table.add_argument("--baseline", default="svm", help="model compared against")
    quality = commands.add_parser(
        "quality-table", help="a generator's synthetic-vs-real measures (Markdown), mean ± "
        "std over several runs' summary metrics.json (e.g. one per seed)")
    quality.add_argument("metrics", type=Path, nargs="+",
                         help="<results>/summary/metrics.json of each run")
    quality.add_argument("--generator", default="signal_gan",
                         help="signal_gan | feature_wgan_gp | mixup")
    curve = commands.add_parser(
        "curve-table", help="the augmentation learning curve's gains (Markdown) of a summary "
        "metrics.json")
    curve.add_argument("metrics", type=Path, help="<results>/summary/metrics.json")
    args = parser.parse_args(argv)
    if args.command == "table":
        import json

        from seedflow.recognition.metrics import markdown_table

        print(markdown_table(json.loads(args.metrics.read_text()), args.baseline))
        return 0
    if args.command == "quality-table":
        import json

        from seedflow.synthesis.quality import spread_table

        try:
            print(spread_table([json.loads(p.read_text()) for p in args.metrics],
                               args.generator))
        except SeedflowError as err:
            print(f"seedflow error: {err}", file=sys.stderr)
            return 1
        return 0
    if args.command == "curve-table":
        import json

        from seedflow.synthesis.curve_statistics import markdown_table

        try:
            print(markdown_table(json.loads(args.metrics.read_text())))
        except SeedflowError as err:
            print(f"seedflow error: {err}", file=sys.stderr)
            return 1
        return 0
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from seedflow import keras_backend

    # the fold's own backend gives its numbers; else KERAS_BACKEND (scikit-learn)
    keras_backend.use(keras_backend.of_fold(args.model))
    from seedflow.recognition import predict

    try:
        request = predict.Request(args.recording, args.labels, args.kind, args.subject,
                                  args.session)
        predict.predict_recording(model_dir=args.model, request=request, out_dir=args.out)
    except SeedflowError as err:
        print(f"seedflow error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
