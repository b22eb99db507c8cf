import json

import numpy as np
import pytest
import zarr

from seedflow import features, gan, synthesis

SETTINGS = {"seed": 0, "window_seconds": 1.0, "windows_per_trial": 4, "latent_dim": 16,
            "n_critic": 2, "gradient_penalty": 10.0, "learning_rate": 2e-4, "epochs": 2,
            "batch_size": 8, "samples_per_class": 5}


def test_generator_and_critic_shapes():
    from keras import ops

    g = gan.build_generator(16, 3, 200, 62)
    c = gan.build_critic(200, 62, 3)
    labels = ops.convert_to_tensor(np.array([0, 1, 2, 0], "int32"))
    x = g([ops.zeros((4, 16)), labels])
    assert tuple(x.shape) == (4, 200, 62)
    assert tuple(c([x, labels]).shape) == (4, 1)


def test_gradient_penalty_matches_finite_differences():
    import keras

    critic = gan.build_critic(16, 3, 2, width=8)
    model = gan.ConditionalWGANGP(gan.build_generator(4, 2, 16, 3, width=8), critic, 4)
    rng = np.random.default_rng(0)
    point = rng.standard_normal((1, 16, 3)).astype("float64")
    labels = np.array([1], "int32")
    keras.utils.set_random_seed(1)
    # With real == fake, every interpolate is that point: GP = (||grad critic(point)|| - 1)^2.
    as_tensor = keras.ops.convert_to_tensor
    gp = float(model.gradient_penalty(as_tensor(point, "float32"), as_tensor(point, "float32"),
                                      as_tensor(labels)))
    eps, grad = 1e-3, np.zeros_like(point)
    for idx in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (float(critic([up.astype("float32"), labels])[0, 0])
                     - float(critic([down.astype("float32"), labels])[0, 0])) / (2 * eps)
    assert gp == pytest.approx((np.linalg.norm(grad) - 1) ** 2, rel=2e-2)


def test_run_writes_generator_samples_and_quality(tmp_path, session_store_path):
    quality = synthesis.run([session_store_path], tmp_path, SETTINGS, features.DEFAULT_BANDS,
                            train_trials=3)
    assert (tmp_path / "generator.keras").is_file()
    losses = (tmp_path / "losses.csv").read_text().splitlines()
    assert losses[0].split(",")[0] == "epoch" and len(losses) == 3
    samples = zarr.open_group(tmp_path / "samples.zarr", mode="r")
    assert samples["windows"].shape == (15, 62, 200)
    assert samples["label"][:].tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert json.loads((tmp_path / "quality.json").read_text()) == quality
    for name in ("negative", "neutral", "positive"):
        for side in ("synthetic_vs_heldout", "real_vs_heldout"):
            assert np.isfinite(quality[name][side]["band_log_power"])
