"""Run a workflow step with everything it prints sent to its Snakemake log file."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable

from seedflow.errors import SeedflowError


def run_step(log_path: str, step: Callable[[], object]) -> None:
    """Call ``step`` with logging, stdout and stderr (C libraries included) in ``log_path``.

    A :class:`SeedflowError` (bad input or config) is also printed as one line on the
    console and ends the process with status 1; other errors re-raise with a traceback.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "a") as log_file:
        os.dup2(log_file.fileno(), 1)
        os.dup2(log_file.fileno(), 2)
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, force=True,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        try:
            step()
            failure = None
        except Exception as err:  # reported below, after the console is restored
            traceback.print_exc()
            failure = err
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
    if isinstance(failure, SeedflowError):
        print(f"seedflow error: {failure}", file=sys.stderr)
        sys.exit(1)
    if failure is not None:
        raise failure
