import numpy as np
import scipy.io
import scipy.signal

from seedflow.simulate import seed as simulate_seed
from seedflow.channels import SEED_62
from seedflow.simulate.signal import SeedSimulator
from conftest import simulation_spec


def test_files_follow_seed_layout(seed_folder, tiny_spec):
    path = seed_folder / simulate_seed.session_filename(1, 1)
    assert path.name.startswith("1_2013") and path.suffix == ".mat"
    variables = {name: (shape, cls) for name, shape, cls in scipy.io.whosmat(path)}
    assert sorted(variables, key=lambda k: int(k.split("eeg")[1])) == [
        f"djc_eeg{k}" for k in range(1, 7)]
    n = int(tiny_spec.trial_seconds * tiny_spec.sfreq)
    assert all(v == ((62, n), "double") for v in variables.values())
    labels = scipy.io.loadmat(seed_folder / "label.mat")["label"]
    assert labels.shape == (1, 6)
    assert labels.ravel().tolist() == [1, 0, -1, -1, 0, 1]


def test_same_seed_same_signal(tiny_spec):
    a = SeedSimulator(tiny_spec, simulate_seed.EFFECTS).trial(1, 1, 3, label=0)
    b = SeedSimulator(tiny_spec, simulate_seed.EFFECTS).trial(1, 1, 3, label=0)
    c = SeedSimulator(tiny_spec, simulate_seed.EFFECTS).trial(1, 1, 4, label=0)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def _alpha_power_posterior(x, sfreq):
    freqs, psd = scipy.signal.welch(x, fs=sfreq, nperseg=int(sfreq))
    channels = [SEED_62.index(ch) for ch in ("PZ", "POZ", "P1", "P2", "PO3", "PO4")]
    return psd[channels][:, (freqs >= 8) & (freqs < 14)].mean()


def test_class_effect_is_planted_and_scales_with_effect_size():
    def ratio(effect):
        spec = simulation_spec(trial_seconds=30, effect_size=effect, trial_signature=0)
        sim = SeedSimulator(spec, simulate_seed.EFFECTS)
        negative = np.mean([_alpha_power_posterior(sim.trial(1, 1, t, -1), spec.sfreq)
                            for t in range(4)])
        positive = np.mean([_alpha_power_posterior(sim.trial(1, 1, t, 1), spec.sfreq)
                            for t in range(4)])
        return negative / positive

    assert abs(ratio(0.0) - 1) < 0.1  # same random draws, no class information
    assert ratio(1.0) > 1.3
    assert ratio(2.0) > ratio(1.0)
