import json
import os
import subprocess
import sys

import mne
import numpy as np
import pytest
import zarr

from conftest import REPO
from seedflow.synthesis import feature_gan
from seedflow.features import extraction
from seedflow.synthesis import networks
from seedflow.synthesis import training
from seedflow.synthesis import signal_gan
from seedflow.synthesis import spectral
from seedflow.synthesis import export as synthetic_export
from seedflow.synthesis import mixup
from seedflow.synthesis import quality
from seedflow.errors import SeedflowError
from seedflow.stores.ingest import IngestStore
from specs import feature_spec
from specs import BANDS
from seedflow.stores.features import FeatureStore
from seedflow.simulate.signal import SeedSimulator
from conftest import simulation_spec
from specs import signal_gan_spec
from specs import mixup_spec
from specs import gan_spec
from specs import spectral_gan_spec
from specs import feature_gan_spec

SETTINGS = {"seed": 0, "window_seconds": 1.0, "windows_per_trial": 4, "latent_dim": 16,
            "steps": 4, "checkpoint_every": 2, "batch_size": 8, "samples_per_class": 5,
            "critic_width": 16, "quality_folds": 2, "export_windows_per_trial": 2, "sfreq": None,
            "feature_gan": {"n_critic": 2, "gradient_penalty": 10.0, "learning_rate": 2e-4,
                            "epochs": 2, "batch_size": 8, "latent_dim": 16}}
GRID = (3, 3, 2)  # a small DE grid for the feature WGAN-GP's training-loop tests


def feature_networks():
    return (networks.build_feature_generator(4, 2, GRID, width=4),
            networks.build_feature_critic(GRID, 2, width=4))


def test_generator_and_critic_shapes(tmp_path):
    import keras
    from keras import ops

    labels = ops.convert_to_tensor(np.array([0, 1, 2, 0], "int32"))
    generator = spectral.build_generator(200, 62, 3, 100.0, latent_dim=16)
    noise = ops.zeros((4,) + tuple(generator.inputs[2].shape[1:]))
    x = generator([ops.zeros((4, 16)), labels, noise])
    assert tuple(x.shape) == (4, 200, 62)
    critic = spectral.build_critic(200, 62, 3, 100.0, hidden=16)
    assert tuple(critic([x, labels]).shape) == (4, 1)
    # Both load back from .keras files (custom layers registered) and compute the same.
    for model, inputs in ((generator, [ops.ones((4, 16)), labels, noise + 1.0]),
                          (critic, [x + 1.0, labels])):
        model.save(tmp_path / "model.keras")
        again = keras.saving.load_model(tmp_path / "model.keras")
        np.testing.assert_allclose(ops.convert_to_numpy(again(inputs)),
                                   ops.convert_to_numpy(model(inputs)), rtol=1e-5, atol=1e-5)
    grid = networks.build_feature_generator(8, 3, (9, 9, 5))([ops.zeros((4, 8)), labels])
    assert tuple(grid.shape) == (4, 9, 9, 5)
    assert tuple(networks.build_feature_critic((9, 9, 5), 3)([grid, labels]).shape) == (4, 1)


def test_the_critic_tells_apart_spectra_that_differ_within_a_few_hertz():
    """The critic's log power has 1 Hz bins up to 50 Hz (at 100 Hz, Nyquist on its own):
    two cosines 1 Hz apart anywhere in 1-49 Hz fall in different bins (wider bins let the
    generator shape the spectrum freely inside each); above 50 Hz bins widen, so a 1000 Hz
    recording gives tens of bins per channel, not 500."""
    from keras import ops

    t = np.arange(200) / 100.0
    layer = spectral.LogBinPower(100.0)
    layer.build((None, 200, 1))
    assert layer.n_bins == 51
    for f in range(1, 49):
        a, b = (np.cos(2 * np.pi * g * t)[None, :, None].astype("float32") for g in (f, f + 1))
        features = [ops.convert_to_numpy(layer(ops.convert_to_tensor(x)))[0] for x in (a, b)]
        assert np.argmax(features[0]) != np.argmax(features[1]), f
    wide = spectral.LogBinPower(1000.0)
    wide.build((None, 2000, 1))
    assert wide.n_bins == 61


def test_gradient_penalty_matches_finite_differences():
    import keras

    generator, critic = feature_networks()
    trainer = networks.WGANGP(generator, critic, 4)
    rng = np.random.default_rng(0)
    real = rng.standard_normal((1,) + GRID)
    fake = rng.standard_normal((1,) + GRID)
    labels = np.array([1], "int32")
    alpha = 0.3
    as_tensor = keras.ops.convert_to_tensor
    gp = float(trainer.gradient_penalty(as_tensor(real, "float32"), as_tensor(fake, "float32"),
                                        as_tensor(labels), as_tensor([alpha], "float32")))
    point = real + alpha * (fake - real)  # GP = (||grad critic(point)|| - 1)^2
    eps, grad = 1e-3, np.zeros_like(point)
    for idx in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (float(critic([up.astype("float32"), labels])[0, 0])
                     - float(critic([down.astype("float32"), labels])[0, 0])) / (2 * eps)
    assert gp == pytest.approx((np.linalg.norm(grad) - 1) ** 2, rel=2e-2)


def test_run_writes_generator_samples_quality_and_recording(tmp_path, session_store_path):
    quality = signal_gan.run(ingest=[session_store_path], out_dir=tmp_path,
                             spec=signal_gan_spec(SETTINGS, {"train_trials": 3},
                                                  {"bands": BANDS}),
                             checkpoint=tmp_path / "checkpoint.npz", group="pooled")
    assert (tmp_path / "generator.keras").is_file()
    losses = (tmp_path / "losses.csv").read_text().splitlines()
    assert losses[0].split(",")[0] == "step" and len(losses) == 3  # 2 chunks of 2 steps
    samples = zarr.open_group(tmp_path / "samples.zarr", mode="r")
    assert samples["windows"].shape == (15, 62, 200)  # 1 s at the recording's 200 Hz
    assert samples["label"][:].tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert json.loads((tmp_path / "quality.json").read_text()) == quality
    assert quality["train_synthetic_test_real"]["n_test_windows"] == 12
    assert len(quality["losses"]) == 2
    for name in ("negative", "neutral", "positive"):
        for side in ("synthetic_vs_heldout", "real_vs_heldout"):
            q = quality["classes"][name][side]
            assert len(q["band_log_power_per_channel"]) == 62
            assert 0 <= q["psd_shape"] <= 1 and 0 <= q["c2st_auc"] <= 1
            assert np.isfinite(q["band_log_power"]) and np.isfinite(q["channel_correlation"])
            low, high = q["conv_c2st_ci95"]
            assert 0 <= low <= q["conv_c2st_auc"] <= high <= 1
            assert q["sliced_wasserstein"] > 0 and q["frechet_distance"] > 0
        assert quality["classes"][name]["real_vs_heldout"]["frechet_ratio"] == 1
    # The exported recording is an ingest store the feature stage reads as any session.
    store = IngestStore.open(tmp_path / "recording.zarr")
    assert store.labels == [0, 0, 0, 1, 1, 1, 2, 2, 2] and store.attrs["dataset"] == "synthetic"
    extraction.extract(ingest=tmp_path / "recording.zarr", out=tmp_path / "features.zarr", spec=feature_spec(bands=BANDS))
    assert FeatureStore.open(tmp_path / "features.zarr").de.shape == (15, 62, 5)


def test_export_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    windows = rng.standard_normal((7, 50, 62)).astype(np.float32) * 1e-5
    labels = np.array([2, 0, 0, 1, 0, 2, 1], dtype=np.int32)
    meta = {"sfreq": 100.0, "ch_names": zarr_channels(), "class_names": ["a", "b", "c"]}
    synthetic_export.write_recording(
        windows, labels, meta, zarr_path=tmp_path / "r.zarr", fif_path=tmp_path / "r_eeg.fif",
        windows_per_trial=2, source=tmp_path / "g.keras", attrs={"subject": "s"})
    store = IngestStore.open(tmp_path / "r.zarr")
    assert store.labels == [0, 0, 1, 2] and store.sfreq == 100.0
    assert store.trial_stop[-1] - store.trial_start[0] == 7 * 50
    for index, k in enumerate(store.labels):
        expected = np.concatenate(windows[labels == k], axis=0).T
        first = sum(1 for j in range(index) if store.labels[j] == k) * 2
        np.testing.assert_array_equal(store.trial(index), expected[:, first * 50:(first + 2) * 50])
    raw = mne.io.read_raw_fif(tmp_path / "r_eeg.fif", preload=True, verbose="error")
    np.testing.assert_allclose(raw.get_data(), store.eeg[:], rtol=1e-6, atol=1e-12)
    assert list(raw.annotations.description) == ["a", "a", "b", "c"]
    assert raw.info["sfreq"] == 100.0 and raw.ch_names == meta["ch_names"]


def zarr_channels():
    from seedflow.channels import SEED_62

    return list(SEED_62)


def test_lower_rate_only_by_anti_aliased_resampling():
    t = np.arange(2000) / 200.0
    x = np.sin(2 * np.pi * 90 * t)[None].astype(np.float32)  # above the new Nyquist (50 Hz)
    down = signal_gan.resampler(200.0, 100.0)(x)
    assert down.shape == (1, 1000)
    assert np.abs(down[:, 100:-100]).max() < 0.05  # decimation alone would alias it to 10 Hz
    assert signal_gan.resampler(200.0, None)(x) is x
    with pytest.raises(SeedflowError, match="synthesis.sfreq"):
        signal_gan.resampler(200.0, 1000.0)


def test_resume_after_a_kill_gives_the_uninterrupted_result(tmp_path, monkeypatch):
    """Feature GAN (WGAN-GP, epochs): killed after its 2nd epoch and resumed, it ends with
    every weight and loss of an uninterrupted run."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.standard_normal((16,) + GRID).astype(np.float32)
    y = np.array([0, 1] * 8, dtype=np.int32)
    settings = {**SETTINGS, "feature_gan": {**SETTINGS["feature_gan"], "latent_dim": 4,
                                            "epochs": 3}}

    def weights(trainer):
        return [keras.ops.convert_to_numpy(v.value) for v in trainer.variables()]

    full, history = training.train_gan(x, y, gan_spec(settings), feature_networks,
                                       tmp_path / "full.npz")
    save = training._save_checkpoint

    def save_then_die(path, trainer, epoch, *args):
        save(path, trainer, epoch, *args)
        if epoch == 1:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(training, "_save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        training.train_gan(x, y, gan_spec(settings), feature_networks, tmp_path / "killed.npz")
    monkeypatch.setattr(training, "_save_checkpoint", save)
    resumed, resumed_history = training.train_gan(x, y, gan_spec(settings), feature_networks,
                                                   tmp_path / "killed.npz")
    assert resumed_history == history and len(history) == 3
    for a, b in zip(weights(resumed), weights(full)):
        np.testing.assert_array_equal(a, b)
    # A checkpoint of other data or settings, or of as many epochs, is not resumed from.
    checkpoint = tmp_path / "killed.npz"
    assert training._load_checkpoint(checkpoint, resumed, "other", 4) is None
    same = training.fingerprint(x, y, gan_spec(settings))
    assert training._load_checkpoint(checkpoint, resumed, same, 2) is None
    assert training._load_checkpoint(checkpoint, resumed, same, 4) == (3, history)


def small_crops(n_times=100, seed=0):
    """Crops of 6 random 3-channel trials (2 classes), one with a stretch of NaN."""
    rng = np.random.default_rng(seed)
    trials = [rng.standard_normal((400, 3)).astype(np.float32) for _ in range(6)]
    trials[2][150:170] = np.nan
    return signal_gan.Crops(trials, [0, 1] * 3, n_times)


# Lowers the JAX training step of a signal GAN whose feature-matching targets come from
# random trials drawn with seed argv[1]; prints the targets' sum and a hash of the program.
STEP_PROGRAM = """
import hashlib, sys
import jax
import numpy as np
from seedflow.synthesis import signal_gan, spectral
rng = np.random.default_rng(int(sys.argv[1]))
trials = [rng.standard_normal((400, 3)).astype(np.float32) for _ in range(4)]
crops = signal_gan.Crops(trials, [0, 1] * 2, 100)
target, layer = spectral.feature_targets(crops.batch, 50.0, 100, 3, 2, rng, n_windows=40,
                                         batch=20)
gan = spectral.SpectralGAN(spectral.build_generator(100, 3, 2, 50.0, latent_dim=4),
                           spectral.build_critic(100, 3, 2, 50.0, hidden=8), latent_dim=4,
                           total_steps=10, fm_target=target, fm_layer=layer)
x, y = crops.batch(rng, 4)
z, noise = gan.step_inputs(rng, 4)
lowered = jax.jit(gan.jax_step, static_argnums=(5,)).lower(gan.jax_state(), x, y, z, noise,
                                                           True)
print(float(target.sum()), hashlib.sha256(lowered.as_text().encode()).hexdigest())
"""


def test_the_signal_gan_step_compiles_to_one_program_for_any_training_data():
    """JAX's compilation cache keys on the program: data-dependent constants in it (the
    feature-matching targets) would make every GAN (every learning-curve cell) compile its
    step anew."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    outputs = []
    for seed in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", STEP_PROGRAM, seed], env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        outputs.append(run.stdout.split())
    (target_1, program_1), (target_2, program_2) = outputs
    assert target_1 != target_2      # other data, other targets ...
    assert program_1 == program_2    # ... and the same compiled step


def test_signal_gan_resumes_after_a_kill_to_the_uninterrupted_samples(tmp_path, monkeypatch):
    """Signal GAN (steps in chunks): killed after its 2nd checkpoint and resumed, it ends with
    every weight (both networks, optimisers, EMA generator, feature-matching error), loss
    and sample of an uninterrupted run, bit for bit."""
    import keras

    spec = spectral_gan_spec({**SETTINGS, "latent_dim": 4, "steps": 6, "critic_width": 8})

    def run(checkpoint):
        gan, history = signal_gan.train(small_crops(), 2, 50.0, spec, checkpoint)
        samples = gan.generate(np.array([0, 1, 1]), np.random.default_rng(1))
        return gan, history, samples

    full, history, samples = run(tmp_path / "full.npz")
    assert [r["step"] for r in history] == [2, 4, 6]
    save = training._save_checkpoint

    def save_then_die(path, gan, chunk, *args):
        save(path, gan, chunk, *args)
        if chunk == 1:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(training, "_save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "killed.npz")
    monkeypatch.setattr(training, "_save_checkpoint", save)
    resumed, resumed_history, resumed_samples = run(tmp_path / "killed.npz")
    assert resumed_history == history
    variables = full.variables()
    assert any(v.path.startswith("ema") for v in variables) and variables[-1] is full.fm_error
    assert np.abs(keras.ops.convert_to_numpy(full.fm_error.value)).sum() > 0
    for a, b in zip(resumed.variables(), variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a.value),
                                      keras.ops.convert_to_numpy(b.value))
    np.testing.assert_array_equal(resumed_samples, samples)


def test_crops_come_from_every_complete_window_and_never_hold_nan():
    crops = small_crops(n_times=100)
    # 6 trials of 400 samples: 301 windows each, less the 119 that touch the NaN stretch.
    assert crops.cumulative[-1] == 6 * 301 - 119
    x, y = crops.batch(np.random.default_rng(0), 5000)
    assert x.shape == (5000, 100, 3) and np.isfinite(x).all()
    assert set(y.tolist()) == {0, 1}
    np.testing.assert_allclose(x.mean(axis=(0, 1)), 0, atol=0.05)  # standardised
    with pytest.raises(SeedflowError, match="no training trial"):
        signal_gan.Crops([np.full((50, 3), np.nan, np.float32)], [0], 20)


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_checkpoint_is_discarded_and_training_starts_afresh(tmp_path, damage,
                                                                     caplog):
    import keras

    rng = np.random.default_rng(0)
    x = rng.standard_normal((16,) + GRID).astype(np.float32)
    y = np.array([0, 1] * 8, dtype=np.int32)
    settings = {**SETTINGS, "feature_gan": {**SETTINGS["feature_gan"], "latent_dim": 4}}

    full, history = training.train_gan(x, y, gan_spec(settings), feature_networks,
                                       tmp_path / "full.npz")
    checkpoint = tmp_path / "full.npz"  # a whole checkpoint of the last epoch, damaged:
    data = bytearray(checkpoint.read_bytes())
    if damage == "truncated":
        data = data[:len(data) // 2]
    else:
        data[len(data) // 2:len(data) // 2 + 256] = rng.bytes(256)
    checkpoint.write_bytes(bytes(data))
    with caplog.at_level("WARNING"):
        again, again_history = training.train_gan(x, y, gan_spec(settings), feature_networks,
                                                  checkpoint)
    assert f"discarding checkpoint {checkpoint}: " in caplog.text
    assert again_history == history
    for a, b in zip(again.variables(), full.variables()):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a.value),
                                      keras.ops.convert_to_numpy(b.value))


def test_generator_asked_for_class_k_makes_examples_a_classifier_calls_k(tmp_path,
                                                                          session_store_path):
    """Conditioning, on the feature GAN (DE grid): a classifier trained on real DE windows
    calls the samples generated for class k "k" more often than it calls any sample k."""
    extraction.extract(ingest=session_store_path, out=tmp_path / "features.zarr", spec=feature_spec(bands=BANDS))
    data, attrs, _ = feature_gan.load_de([tmp_path / "features.zarr"], train_trials=3)
    x, y = data["train"]
    settings = {**SETTINGS, "feature_gan": {**SETTINGS["feature_gan"], "learning_rate": 1e-3,
                                            "epochs": 40, "batch_size": 8, "latent_dim": 8}}
    trainer, scaler, _ = feature_gan.train_feature_gan(
        x, y, attrs["ch_names"], 3, gan_spec(settings),
        tmp_path / "checkpoint.npz")
    fake, labels = feature_gan.synthesize(trainer, scaler, 3, 50, seed=3)
    real = np.concatenate([x, data["heldout"][0]])
    real_labels = np.concatenate([y, data["heldout"][1]])
    scores = quality.train_test(real, real_labels, fake, labels, 3)
    confusion = np.array(scores["confusion_matrix"])
    called = confusion.sum(axis=0) / confusion.sum()  # how often k is called at all
    assert (np.array(scores["recall_per_class"]) > called + 0.1).all(), scores
    assert scores["accuracy"] > 1 / 3 + 0.15, scores


def planted_trials():
    """Simulated trials with a strong class effect on the 5 channels where the simulated
    classes differ (FZ theta, CZ delta, POZ alpha, T7 beta, T8 gamma), 100 Hz: 9 trials of
    30 s, (time, channels) in volts, and their labels."""
    from seedflow.simulate import seed as simulate_seed
    from seedflow.channels import SEED_62

    spec = simulation_spec(subjects=1, sessions=1, trials_per_session=9, trial_seconds=30,
                           sfreq=100.0, effect_size=4.0, trial_signature=0.0, seed=3)
    simulator = SeedSimulator(spec, simulate_seed.EFFECTS)
    rows = [list(SEED_62).index(ch) for ch in ("FZ", "CZ", "POZ", "T7", "T8")]
    labels = [label + 1 for label in simulate_seed.trial_labels(spec.trials_per_session)]
    trials = [np.ascontiguousarray((simulator.trial(1, 1, t, label - 1)[rows] * 1e-6).T)
              .astype(np.float32) for t, label in enumerate(labels, start=1)]
    return trials, labels


def test_signal_gan_on_a_planted_dataset_meets_loosened_targets(tmp_path):
    """The signal GAN trained on 2 trials per class of a strongly planted dataset: against
    1-s windows of the held-out trial of each class, its windows meet loosened versions of
    the issue's targets (band log power and PSD shape <= 0.2, channel correlation <= 0.2,
    band-power C2ST <= 0.9; TSTR >= 0.6 with every class recalled >= 0.4). The WGAN-GP this
    generator replaced fails them (band log power 0.3-0.5 decades after 100 epochs). Channel
    correlation over seeds 0-2: 0.07-0.17 here (5 channels, 1 s windows: one Welch segment
    each, so the critic's 1 Hz bins are noisy; 0.08-0.15 with the earlier 2-5 Hz bins),
    0.064-0.068 in the default run."""
    trials, labels = planted_trials()
    heldout = [max(i for i in range(9) if labels[i] == k) for k in range(3)]  # the last
    train = [i for i in range(9) if i not in heldout]
    crops = signal_gan.Crops([trials[i] for i in train], [labels[i] for i in train], 100)
    spec = spectral_gan_spec({**SETTINGS, "steps": 400, "checkpoint_every": 400,
                              "batch_size": 32, "latent_dim": 16, "critic_width": 64})
    gan, _ = signal_gan.train(crops, 3, 100.0, spec, tmp_path / "checkpoint.npz")
    fake_labels = np.repeat(np.arange(3, dtype=np.int32), 60)
    fake = crops.to_volts(gan.generate(fake_labels, np.random.default_rng(1)))

    def windows(indices):
        x = [w for i in indices for w in np.split(trials[i], 30)]
        return np.stack(x), np.repeat([labels[i] for i in indices], 30).astype(np.int32)

    xh, yh = windows(heldout)
    for k in range(3):
        got = quality.signal_distances(fake[fake_labels == k], xh[yh == k], 3, 0,
                                       sfreq=100.0, bands=BANDS)
        assert got["band_log_power"] <= 0.2 and got["psd_shape"] <= 0.2, (k, got)
        assert got["channel_correlation"] <= 0.2 and got["c2st_auc"] <= 0.9, (k, got)

    def power(w):
        return quality.band_log_power(w, 100.0, BANDS)

    tstr = quality.train_test(power(fake), fake_labels, power(xh), yh, 3)
    assert tstr["accuracy"] >= 0.6 and min(tstr["recall_per_class"]) >= 0.4, tstr


def test_feature_gan_and_mixup(tmp_path, session_store_path):
    extraction.extract(ingest=session_store_path, out=tmp_path / "features.zarr", spec=feature_spec(bands=BANDS))
    settings = {**SETTINGS, "mixup": {"alpha": 0.4},
                "feature_gan": {**SETTINGS["feature_gan"], "latent_dim": 8, "batch_size": 64,
                                "samples_per_class": 20}}
    results = [
        feature_gan.run(features=[tmp_path / "features.zarr"], out_dir=tmp_path / "fgan",
                        spec=feature_gan_spec(settings, {"train_trials": 3}),
                        checkpoint=tmp_path / "fgan.npz", group="pooled"),
        mixup.run(features=[tmp_path / "features.zarr"], out_dir=tmp_path / "mixup",
                  spec=mixup_spec(settings, {"train_trials": 3}), group="pooled")]
    de = zarr.open_group(tmp_path / "fgan" / "samples.zarr", mode="r")["de"]
    assert de.shape == (60, 62, 5)
    assert np.isfinite(de[:]).all()
    mixed = zarr.open_group(tmp_path / "mixup" / "samples.zarr", mode="r")
    x = FeatureStore.open(tmp_path / "features.zarr")
    train = x.trial_index < 3
    for k in range(3):  # interpolates lie within the class's training range
        own = x.de[train & (x.label == k)]
        got = mixed["de"][:][mixed["label"][:] == k]
        assert (got >= own.min(axis=0) - 1e-5).all() and (got <= own.max(axis=0) + 1e-5).all()
    records = quality.summary_records(results, "simulated")
    assert [r["model"] for r in records] == ["feature_wgan_gp", "mixup"]
    assert records[1]["accuracy_mean"] > 1 / 3 + 0.2  # mixup of this easy data is class-true
    assert records[0]["losses"]["pooled"][0]["epoch"] == 0 and records[1]["losses"] == {}


def _one_step(tmp_path, backend, devices, initial):
    out = tmp_path / f"{backend}{devices}.npz"
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
           "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, str(REPO / "tests" / "gan_devices.py"),
                             str(devices), str(initial), str(out),
                             str(tmp_path / f"{backend}{devices}.ckpt.npz")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return np.load(out)


def test_step_on_two_devices_equals_one_device_under_tensorflow_and_jax(tmp_path):
    """MirroredStrategy over 2 logical CPUs and JAX DataParallel over 2 CPU devices make the
    update a single TensorFlow device makes from the same weights and inputs."""
    reference = _one_step(tmp_path, "tensorflow", 1, "new")
    initial = tmp_path / "initial.npz"
    np.savez(initial, **{k: reference[k] for k in reference.files if k.startswith("v")})
    backends = ["tensorflow", "jax"]
    n_variables = sum(k.startswith("after") for k in reference.files)
    for backend in backends:
        run = _one_step(tmp_path, backend, 2, initial)
        assert int(run["n_devices"]) == 2, backend
        # Adam's first step is lr * g / |g|: compare update directions and sizes (where
        # g is ~0 float noise may flip a sign), and the losses.
        update, expected = (np.concatenate([(r[f"after{i}"] - r[f"v{i}"]).ravel()
                                            for i in range(n_variables)])
                            for r in (run, reference))
        cosine = update @ expected / (np.linalg.norm(update) * np.linalg.norm(expected))
        assert cosine > 0.99, backend
        assert np.linalg.norm(update - expected) < 0.1 * np.linalg.norm(expected), backend
        assert float(run["critic_loss"]) == pytest.approx(float(reference["critic_loss"]),
                                                          rel=1e-3)


def test_quality_leaves_out_a_class_without_held_out_windows():
    from seedflow.synthesis import quality

    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 4))
    y = np.repeat([0, 1, 2], 10)
    heldout = (x[:20], y[:20])  # no held-out window of class 2 (e.g. its trials all train)
    distance = lambda a, b, folds, seed: {"mean": float(abs(a.mean() - b.mean()))}  # noqa: E731
    result = quality.report((x, y), (x, y), heldout, ["a", "b", "c"], distance,
                                      folds=2, seed=0)
    assert sorted(result["classes"]) == ["a", "b"]
    assert 0 <= result["train_synthetic_test_real"]["accuracy"] <= 1


def test_raw_window_measures_on_known_inputs():
    """Sliced Wasserstein, Fréchet distance, DeLong AUC and the convolutional C2ST: the same
    distribution gives baseline values, a shifted spectrum (more power, or power moved to
    low frequencies) large ones."""
    import scipy.signal
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)

    def noise(n):
        return rng.standard_normal((n, 64, 3)).astype(np.float32)

    def low_passed(n):  # the same power, moved below a quarter of the band
        x = scipy.signal.sosfiltfilt(scipy.signal.butter(4, 0.25, output="sos"), noise(n),
                                     axis=1)
        return (x / x.std()).astype(np.float32)

    a, b, shifted = noise(200), noise(200), low_passed(200)
    assert quality.sliced_wasserstein(a, a, seed=0) == 0
    # Random projections of windows see power (the spectrum shifted up 0.3 decades), hardly
    # its shape: the shape is the convolutional C2ST's part below.
    same, far = (quality.sliced_wasserstein(a, other, seed=0) for other in (b, 2 * b))
    assert far > 4 * same
    e = rng.standard_normal((200, 4))
    assert quality.frechet_distance(e, e) == pytest.approx(0, abs=1e-6)
    assert quality.frechet_distance(e, e + 1.0) == pytest.approx(4.0, abs=1e-6)
    y, scores = np.repeat([0, 1], 50), rng.standard_normal(100) + np.repeat([0, 1], 50)
    auc, low, high = quality.delong_auc(y, scores)
    assert auc == pytest.approx(roc_auc_score(y, scores)) and low < auc < high
    # The recognition model learns (on other windows) to tell white from low-passed noise.
    measures = quality.ConvMeasures(np.concatenate([noise(100), low_passed(100)]),
                                    np.repeat(np.arange(2, dtype=np.int32), 100), 2, seed=0,
                                    epochs=20)
    same, far = measures(a, b, 3, 0), measures(a, shifted, 3, 0)
    assert same["conv_c2st_ci95"][0] < 0.5 + 0.1 and same["conv_c2st_auc"] < 0.7, same
    assert far["conv_c2st_auc"] > 0.9 and far["conv_c2st_ci95"][0] > 0.8, far
    assert far["frechet_distance"] > 5 * same["frechet_distance"], (same, far)


def _synthesis_record(generator, band, tstr):
    classes = {c: {"synthetic_vs_heldout": {"band_log_power": band, "c2st_auc": 0.6},
                   "real_vs_heldout": {"band_log_power": 0.02, "c2st_auc": 0.5}}
               for c in ("negative", "positive")}
    return {"kind": "synthesis", "model": generator, "accuracy_mean": tstr,
            "train_real_test_real_accuracy_mean": 0.8, "chance_level": 0.5,
            "quality": {"pooled": classes}}


def test_quality_table_gives_the_spread_over_runs_and_names_a_run_without_the_generator(
        tmp_path):
    from seedflow import cli

    runs = []
    for n, (band, tstr) in enumerate([(0.02, 0.7), (0.04, 0.9)]):
        path = tmp_path / f"seed-{n}.json"
        path.write_text(json.dumps([{"model": "cnn4d", "accuracy_mean": 0.7},
                                    _synthesis_record("signal_gan", band, tstr)]))
        runs.append(json.loads(path.read_text()))
    table = quality.spread_table(runs)
    assert "signal_gan, 2 runs" in table
    assert "| pooled · negative | 0.030 ± 0.010 (0.020) | 0.600 ± 0.000 (0.500) |" in table
    assert "TSTR accuracy 0.800 ± 0.100 (TRTR 0.800 ± 0.000; chance 0.500)" in table
    assert "psd_shape" not in table  # a measure the records lack is no column

    mixup_only = tmp_path / "mixup.json"
    mixup_only.write_text(json.dumps([_synthesis_record("mixup", 0.1, 0.6)]))
    assert cli.main(["quality-table", str(tmp_path / "seed-0.json"), str(mixup_only)]) == 1
    with pytest.raises(SeedflowError, match="run 2: 0 'signal_gan' synthesis records"):
        quality.spread_table([runs[0], json.loads(mixup_only.read_text())])
    other_classes = _synthesis_record("signal_gan", 0.03, 0.8)
    other_classes["quality"]["pooled"].pop("positive")
    with pytest.raises(SeedflowError, match="run 2: groups and classes"):
        quality.spread_table([runs[0], [other_classes]])
