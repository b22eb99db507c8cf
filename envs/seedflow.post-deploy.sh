#!/usr/bin/env bash
# Run by Snakemake inside envs/seedflow.yaml's environment right after creating it: installs
# the seedflow package from the workflow's own folder (SEEDFLOW_SOURCE, set by
# workflow/rules/common.smk), editable so that the environment always runs the workflow's
# code, without dependencies (the environment pins them), then checks they are satisfied.
set -euo pipefail
python -m pip install --no-deps --editable "${SEEDFLOW_SOURCE:?run by Snakemake}"
python -m pip check
