"""The workflow on each simulated layout: planned per subject × session, and run from the
simulated files through ingest to the feature stores (the stages after read only Zarr)."""

import pytest
import yaml

from seedflow.io.zarr_store import SessionStore
from test_workflow import TINY, snakemake

LAYOUTS = {  # layout -> (sessions, simulated files, sampling rate, channels, classes)
    "seed-iv": (2, 2, 200, 62, ["neutral", "sad", "fear", "happy"]),
    "seed-v": (2, 3, 1000, 62, ["disgust", "fear", "sad", "neutral", "happy"]),
    "dreamer": (1, 1, 128, 14, ["low", "high"]),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_simulated_layout_runs_to_feature_stores(tmp_path, layout):
    sessions, n_files, sfreq, n_channels, classes = LAYOUTS[layout]
    config = tmp_path / "layout.yaml"
    config.write_text(yaml.safe_dump({"simulation": {
        "layout": layout, "sfreq": None, "subjects": 1, "sessions": 2,
        "trials_per_session": 4, "trial_seconds": 4}}))
    args = ["--configfile", str(TINY), str(config)]
    plan = snakemake(tmp_path, "-n", *args)
    assert plan.returncode == 0, plan.stderr
    lines = (plan.stdout + plan.stderr).splitlines()
    for rule, count in (("simulate_file", n_files), ("ingest", sessions), ("simulate_session", 0)):
        assert any(line.split() == [rule, str(count)] for line in lines) == (count > 0), rule
    targets = [f"results/features/sub-1/ses-{k}.zarr" for k in range(1, sessions + 1)]
    run = snakemake(tmp_path, *targets, "--cores", "2", *args)
    assert run.returncode == 0, run.stderr[-5000:]
    for k in range(1, sessions + 1):
        store = SessionStore.open(tmp_path / "results" / "zarr" / "sub-1" / f"ses-{k}.zarr")
        assert store.sfreq == sfreq and len(store.ch_names) == n_channels
        assert store.class_names == classes and len(store.labels) == 4
        assert store.eeg.shape[1] == 4 * 4 * sfreq
        assert (tmp_path / targets[k - 1] / "de").is_dir()
