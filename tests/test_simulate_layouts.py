"""The simulated layouts: each plants its own classes' effects, EOG and mastoids look like
theirs, and the same seed writes the same data."""

import mne
import numpy as np
import scipy.signal

from layouts import write_simulated
from seedflow.simulate import faced as simulate_faced
from seedflow.simulate import seed_v as simulate_seed_v
from seedflow.channels import SEED_62
from seedflow.simulate.signal import SeedSimulator
from conftest import simulation_spec


def _band_power(x, sfreq, channels, lo, hi):
    freqs, psd = scipy.signal.welch(x[[SEED_62.index(c) for c in channels]], fs=sfreq,
                                    nperseg=int(sfreq))
    return psd[:, (freqs >= lo) & (freqs < hi)].mean()


def test_seed_v_classes_have_their_own_band_effects():
    spec = simulation_spec(trial_seconds=20, sfreq=250, effect_size=1.5,
                                   trial_signature=0)
    sim = SeedSimulator(spec, simulate_seed_v.EFFECTS)
    posterior = ("PZ", "POZ", "PO3", "PO4", "P1", "P2")
    sad = np.mean([_band_power(sim.trial(1, 1, t, 2), 250, posterior, 8, 14) for t in range(3)])
    happy = np.mean([_band_power(sim.trial(1, 1, t, 4), 250, posterior, 8, 14)
                     for t in range(3)])
    assert sad / happy > 1.3


def test_seed_v_recording_has_blinks_on_veo_and_is_reproducible(tmp_path):
    first = write_simulated(tmp_path / "a", "seed-v", trials_per_session=2, trial_seconds=12)
    write_simulated(tmp_path / "b", "seed-v", trials_per_session=2, trial_seconds=12)
    name = "EEG_raw/1_1_20131013.fif"
    raw = mne.io.read_raw_fif(tmp_path / "a" / name, verbose="error")
    again = mne.io.read_raw_fif(tmp_path / "b" / name, verbose="error")
    np.testing.assert_array_equal(raw.get_data(), again.get_data())
    assert raw.n_times == 1000 * (3 * simulate_seed_v.REST_SECONDS + 2 * 12)
    veo, fp1, oz = raw.get_data(picks=["VEO", "FP1", "OZ"])
    assert np.corrcoef(veo, fp1)[0, 1] > 0.5 > abs(np.corrcoef(veo, oz)[0, 1])
    m1, tp7, o2 = raw.get_data(picks=["M1", "TP7", "O2"])
    assert np.corrcoef(m1, tp7)[0, 1] > abs(np.corrcoef(m1, o2)[0, 1])
    assert first["simulation"]["sfreq"] is None and raw.info["sfreq"] == 1000


def test_faced_emotions_share_their_valence_effect_and_have_their_own():
    spec = simulation_spec(trial_seconds=10, sfreq=250, effect_size=1.5, trial_signature=0)
    sim = SeedSimulator(spec, simulate_faced.EFFECTS)
    posterior = ("PZ", "POZ", "PO3", "PO4", "P1", "P2")

    def power(emotion, channels, lo, hi):
        return np.mean([_band_power(sim.trial(1, 1, t, emotion), 250, channels, lo, hi)
                        for t in range(2)])

    negative = [power(e, posterior, 8, 14) for e in range(4)]  # anger .. sadness
    positive = [power(e, posterior, 8, 14) for e in range(5, 9)]  # amusement .. tenderness
    assert min(negative) / max(positive) > 1.3
    frontal_left = ("F3", "F5", "FC3", "FC5", "AF3")
    assert power(0, frontal_left, 14, 31) / power(1, frontal_left, 14, 31) > 1.3  # anger
