"""The signal-level GAN: a class-conditional spectral-mixing generator against a critic on
log band power, for multichannel EEG windows (backend-agnostic Keras 3).

Generator ``(noise z, class, spectral noise) -> window (time, channels)``, standardised units.
EEG is close to coloured Gaussian noise mixed over the scalp, so the generator shapes white
complex spectra instead of upsampling with (transposed) convolutions, which add
high-frequency artefacts:

* an MLP code ``h = mlp([z, embed(class)])``;
* ``n_sources`` latent sources with log spectral gain ``base_k(f) + mod_k(h)(f)`` (a learned
  spectrum per source plus an ``h``-dependent smooth modulation on ``n_basis`` Gaussian
  frequency bumps);
* a mixing matrix ``A0 + dA(h)`` (channels x sources), applied in the frequency domain;
* a per-class, per-channel smooth log gain ``g[class, c](f)`` (zero at start): a direct handle
  on each class's channel spectra;
* an inverse real FFT of length ``2 n_times`` cropped to ``n_times`` (no circular artefacts).

Critic ``(window, class) -> score``: log Welch power (1 s Hann segments, half overlap, as the
quality measures) in 1 Hz bins up to 50 Hz (:func:`bin_edges`) of every channel and of
``spatial_filters`` learned spatial filters (band power and spatial covariance), two
equalised-learning-rate dense layers with a minibatch-standard-deviation feature, class by
projection (Miyato & Koyama 2018).
Dense layers use an equalised learning rate (Karras et al. 2018): without it, Adam's per-weight
steps on wide fan-in layers (the critic's ~4,800 log-power inputs) moved the outputs by large
coherent jumps every step and training oscillated.

Loss (:class:`SpectralGAN`): non-saturating logistic loss (softplus) with a lazy R1 penalty
on real windows (Mescheder et al. 2018; every ``r1_every`` steps, weight scaled by
``r1_every``), plus class-conditional *feature matching* for the generator: the per-class
mean of the critic's log-bin-power features of generated windows is pulled towards the
training data's class means (computed once before training). The batch error is smoothed by
an exponential moving average (``fm_beta``) and enters the loss linearly,
``fm_weight * mean(sg(err) * m)``, so its gradient is not biased by the batch's sampling noise
(a squared error of a 10-window class mean would also shrink the across-window spread).
Adam (beta_1 0) with the same rate for both networks, held for the first 60 % of the steps
and decayed linearly to 5 % over the last 40 %; one critic step per generator step, on one
shared draw of noise; samples come from an exponential moving average of the generator's
weights. R1 needs d critic / d input, which Keras 3 exposes only through each backend's
autodiff: :meth:`SpectralGAN.tf_step` and :meth:`SpectralGAN.jax_step` are the only
backend-specific code. The random inputs of a step are drawn on the host, so a step is a pure
function of its inputs and resuming is exact.

Every layer is serialisable (``generator.keras`` loads with ``keras.saving.load_model`` once
this module is imported).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

PACKAGE = "seedflow"


def _gaussian_basis(n_freqs_fft: int, sfreq: float, n_basis: int) -> np.ndarray:
    """(n_basis, F) Gaussian bumps over 0..Nyquist for an rfft of length ``n_freqs_fft``."""
    freqs = np.fft.rfftfreq(n_freqs_fft, 1 / sfreq)
    centres = np.linspace(0, sfreq / 2, n_basis)
    width = centres[1] - centres[0]
    return np.exp(-0.5 * ((freqs[None] - centres[:, None]) / width) ** 2).astype("float32")


@keras.saving.register_keras_serializable(PACKAGE)
class EqualDense(layers.Layer):
    """Dense layer with an equalised learning rate: unit-normal weights (times ``init_std``)
    scaled by ``gain / sqrt(fan_in)`` at run time."""

    def __init__(self, units, gain=1.0, init_std=1.0, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units, self.gain, self.init_std, self.use_bias = units, gain, init_std, use_bias

    def build(self, input_shape):
        fan_in = input_shape[-1]
        self.scale = float(self.gain / np.sqrt(fan_in))
        self.kernel = self.add_weight(shape=(fan_in, self.units), name="kernel",
                                      initializer=keras.initializers.RandomNormal(
                                          stddev=self.init_std))
        self.bias = (self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
                     if self.use_bias else None)

    def call(self, x):
        y = ops.matmul(x, self.kernel) * self.scale
        return y + self.bias if self.use_bias else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "gain": self.gain,
                "init_std": self.init_std, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(PACKAGE)
class SpectralMixer(layers.Layer):
    """``(h, label, spectral noise (B, 2, K, F)) -> (B, T, C)``, all in the frequency domain:
    ``X_c(f) = exp(g[class, c](f)) * sum_k (A0 + dA(h))_ck * noise_k(f) * exp(base_k(f) +
    mod_k(h)(f))``, then ``x = irfft(X, 2T)[:T]``."""

    def __init__(self, n_channels, n_classes, n_times, sfreq, n_basis=32, mod_init=0.5,
                 class_gain=True, **kwargs):
        super().__init__(**kwargs)
        self.n_channels, self.n_classes, self.n_times = n_channels, n_classes, n_times
        self.sfreq, self.n_basis, self.mod_init = sfreq, n_basis, mod_init
        self.class_gain = class_gain
        self.fft_length = 2 * n_times
        self.n_freqs = self.fft_length // 2 + 1
        self.basis = _gaussian_basis(self.fft_length, sfreq, n_basis)

    def build(self, input_shape):
        h_dim, k = input_shape[0][-1], input_shape[2][2]
        self.k = k
        self.base = self.add_weight(shape=(k, self.n_freqs), initializer="zeros",
                                    name="base_log_gain")
        self.modulation = EqualDense(k * self.n_basis, init_std=self.mod_init, name="modulation")
        self.modulation.build((None, h_dim))
        self.base_mixing = self.add_weight(shape=(self.n_channels, k), name="base_mixing",
                                           initializer=keras.initializers.RandomNormal(
                                               stddev=1 / np.sqrt(k)))
        self.delta = EqualDense(self.n_channels * k, init_std=self.mod_init / np.sqrt(k),
                                name="delta_mixing")
        self.delta.build((None, h_dim))
        if self.class_gain:
            self.channel_gain = self.add_weight(
                shape=(self.n_classes, self.n_channels * self.n_basis), initializer="zeros",
                name="class_channel_log_gain")

    def call(self, inputs):
        h, label, noise = inputs
        basis = ops.convert_to_tensor(self.basis)
        mod = ops.reshape(self.modulation(h), (-1, self.k, self.n_basis))
        gain = ops.exp(self.base[None] + ops.matmul(mod, basis)) * float(
            np.sqrt(self.fft_length / 2.0))
        mixing = self.base_mixing[None] + ops.reshape(self.delta(h),
                                                      (-1, self.n_channels, self.k))
        real = ops.matmul(mixing, noise[:, 0] * gain)                      # (B, C, F)
        imag = ops.matmul(mixing, noise[:, 1] * gain)
        if self.class_gain:
            g = ops.reshape(ops.take(self.channel_gain, ops.cast(label, "int32"), axis=0),
                            (-1, self.n_channels, self.n_basis))
            channel_gain = ops.exp(ops.matmul(g, basis))
            real, imag = real * channel_gain, imag * channel_gain
        x = ops.irfft((real, imag), fft_length=self.fft_length)[..., :self.n_times]
        return ops.transpose(x, (0, 2, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.n_times, self.n_channels)

    def get_config(self):
        return {**super().get_config(), "n_channels": self.n_channels,
                "n_classes": self.n_classes, "n_times": self.n_times, "sfreq": self.sfreq,
                "n_basis": self.n_basis, "mod_init": self.mod_init,
                "class_gain": self.class_gain}


def bin_edges(sfreq: float) -> list[float]:
    """Frequency bins of the critic (and of feature matching): 1 Hz (the Welch resolution)
    up to 50 Hz (Nyquist in a bin of its own at 100 Hz), wider above. Wider bins leave the
    spectrum's shape inside each bin free: with 2-5 Hz bins above 14 Hz the generator put
    ripples there and 0.1 decade too much power in the anti-aliasing roll-off below Nyquist,
    which the band-power C2ST saw; with 49 Hz and Nyquist (50 Hz) in one bin, 0.08 decade
    too much at 49. At 3,000 steps over 3 seeds the C2ST went from 0.57-0.72 to 0.55-0.67."""
    top = sfreq / 2
    edges = list(range(50)) + [50, 60, 70, 80, 90, 100, 120, 140, 160, 180, 200]
    return [e for e in edges if e <= top] + [top + 1e-6]


@keras.saving.register_keras_serializable(PACKAGE)
class LogBinPower(layers.Layer):
    """``(B, T, D) -> (B, D * n_bins)``: natural log of Welch power (Hann segments of
    ``sfreq`` samples, half overlap) averaged in frequency bins, relative to unit white noise
    (features start near zero for standardised inputs)."""

    def __init__(self, sfreq, edges=None, dft=None, **kwargs):
        super().__init__(**kwargs)
        self.sfreq = float(sfreq)
        self.edges = tuple(edges or bin_edges(sfreq))
        # "matmul": the windowed DFT as one matrix product (faster than TF's XLA CPU FFT,
        # notably in R1's double backward); "fft": ops.rfft (faster under JAX). Same numbers.
        self.dft = dft or ("matmul" if keras.backend.backend() == "tensorflow" else "fft")

    def build(self, input_shape):
        n_times = input_shape[1]
        seg = min(int(self.sfreq), n_times)
        self.seg = seg
        self.starts = list(range(0, n_times - seg + 1, seg // 2))
        freqs = np.fft.rfftfreq(seg, 1 / self.sfreq)
        pool = np.stack([(freqs >= lo) & (freqs < hi) for lo, hi in
                         zip(self.edges[:-1], self.edges[1:])], axis=1).astype("float32")
        pool = pool[:, pool.sum(axis=0) > 0]
        self.pool = pool / pool.sum(axis=0, keepdims=True)                # (F, n_bins)
        self.n_bins = pool.shape[1]
        self.window = np.hanning(seg).astype("float32")
        self.white = float(np.sum(self.window ** 2))
        t = np.arange(seg)[:, None] * np.arange(len(freqs))[None] / seg
        self.dft_matrix = np.concatenate([self.window[:, None] * np.cos(2 * np.pi * t),
                                          -self.window[:, None] * np.sin(2 * np.pi * t)],
                                         axis=1).astype("float32")      # (seg, 2F)
        self.n_freqs = len(freqs)

    def call(self, x):
        x = ops.transpose(x, (0, 2, 1))                                    # (B, D, T)
        frames = ops.stack([x[..., s:s + self.seg] for s in self.starts], axis=2)
        if self.dft == "matmul":
            spec = ops.matmul(frames, ops.convert_to_tensor(self.dft_matrix))  # (B, D, S, 2F)
            real, imag = spec[..., :self.n_freqs], spec[..., self.n_freqs:]
        else:
            real, imag = ops.rfft(frames * ops.convert_to_tensor(self.window))  # (B, D, S, F)
        power = ops.mean(real ** 2 + imag ** 2, axis=2)
        power = ops.matmul(power, ops.convert_to_tensor(self.pool))
        return ops.reshape(ops.log(power / self.white + 1e-4),
                           (-1, power.shape[1] * self.n_bins))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2] * self.n_bins)

    def get_config(self):
        return {**super().get_config(), "sfreq": self.sfreq, "edges": list(self.edges),
                "dft": self.dft}


@keras.saving.register_keras_serializable(PACKAGE)
class MinibatchStd(layers.Layer):
    """Append the mean (over features) of the across-batch standard deviation."""

    def call(self, h):
        std = ops.sqrt(ops.var(h, axis=0) + 1e-8)
        return ops.concatenate([h, ops.ones_like(h[:, :1]) * ops.mean(std)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)


@keras.saving.register_keras_serializable(PACKAGE)
class Projection(layers.Layer):
    """Class projection score ``<embed(class), h> / sqrt(width)`` (Miyato & Koyama 2018)."""

    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = n_classes

    def build(self, input_shape):
        self.embedding = self.add_weight(shape=(self.n_classes, input_shape[0][-1]),
                                         initializer=keras.initializers.RandomNormal(stddev=1.0),
                                         name="class_embedding")

    def call(self, inputs):
        h, label = inputs
        e = ops.take(self.embedding, ops.cast(label, "int32"), axis=0)
        return ops.sum(e * h, axis=-1, keepdims=True) / float(np.sqrt(h.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "n_classes": self.n_classes}


def build_generator(n_times: int, n_channels: int, n_classes: int, sfreq: float, *,
                    latent_dim: int = 64, n_sources: int = 64, hidden: int = 256,
                    n_basis: int = 32, mod_init: float = 0.5) -> keras.Model:
    """``[noise (B, latent), label (B,), spectral noise (B, 2, n_sources, n_times + 1)] ->
    (B, n_times, n_channels)``."""
    n_freqs = n_times + 1                                                   # rfft of 2 n_times
    z = keras.Input((latent_dim,), name="noise")
    label = keras.Input((), dtype="int32", name="label")
    spectral_noise = keras.Input((2, n_sources, n_freqs), name="spectral_noise")
    embedded = layers.Embedding(n_classes, latent_dim,
                                embeddings_initializer=keras.initializers.RandomNormal(
                                    stddev=1.0))(label)
    h = layers.Concatenate()([z, embedded])
    for _ in range(2):
        h = layers.LeakyReLU(0.2)(EqualDense(hidden, gain=float(np.sqrt(2)))(h))
    x = SpectralMixer(n_channels, n_classes, n_times, sfreq, n_basis,
                      mod_init=mod_init)([h, label, spectral_noise])
    return keras.Model([z, label, spectral_noise], x, name="spectral_generator")


def build_critic(n_times: int, n_channels: int, n_classes: int, sfreq: float, *,
                 spatial_filters: int = 32, hidden: int = 512) -> keras.Model:
    """``[window (B, n_times, n_channels), label (B,)] -> score (B, 1)``."""
    window = keras.Input((n_times, n_channels), name="window")
    label = keras.Input((), dtype="int32", name="label")
    spatial = layers.Dense(spatial_filters, use_bias=False, name="spatial_filters")(window)
    series = layers.Concatenate()([window, spatial])
    spec = LogBinPower(sfreq)(series)
    h = layers.LeakyReLU(0.2)(EqualDense(hidden, gain=float(np.sqrt(2)))(spec))
    h = MinibatchStd()(h)
    h = layers.LeakyReLU(0.2)(EqualDense(hidden, gain=float(np.sqrt(2)))(h))
    score = layers.Add()([EqualDense(1)(h), Projection(n_classes)([h, label])])
    return keras.Model([window, label], score, name="spectral_critic")


# ------------------------------------------------------------------ training step
METRICS = ("critic_loss", "generator_loss", "r1", "real_score", "fake_score", "fm_error")


# ------------------------------------------------------------------ losses (keras.ops only)
def critic_loss(real_score, fake_score):
    """Non-saturating logistic loss of the critic (real scores up, fake scores down)."""
    return ops.mean(ops.softplus(fake_score)) + ops.mean(ops.softplus(-real_score))


def generator_loss(fake_score):
    """Non-saturating logistic loss of the generator."""
    return ops.mean(ops.softplus(-fake_score))


def r1_penalty(input_grads):
    """Mean over the batch of ||d critic / d x||^2."""
    return ops.mean(ops.sum(ops.square(input_grads), axis=(1, 2)))


def class_means(features, labels, n_classes):
    """(per-class mean of ``features`` (n_classes, D), windows per class (n_classes, 1))."""
    onehot = ops.one_hot(ops.cast(labels, "int32"), n_classes)
    counts = ops.sum(onehot, axis=0)[:, None]
    return ops.matmul(ops.transpose(onehot), features) / ops.maximum(counts, 1.0), counts


class HoldThenDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``rate`` until ``total - decay_steps``, then linear to ``floor * rate`` at ``total``."""

    def __init__(self, rate, total_steps, decay_steps, floor=0.05):
        self.rate, self.total, self.decay, self.floor = rate, total_steps, decay_steps, floor

    def __call__(self, step):
        left = ops.clip((self.total - ops.cast(step, "float32")) / max(self.decay, 1), 0.0, 1.0)
        return self.rate * (self.floor + (1 - self.floor) * left)

    def get_config(self):
        return dict(rate=self.rate, total_steps=self.total, decay_steps=self.decay,
                    floor=self.floor)


def feature_targets(batches, sfreq, n_times, n_channels, n_classes, rng, n_windows=15000,
                    batch=500):
    """Class means (n_classes, D) of the critic's log-bin-power features of ``n_windows``
    training windows drawn by ``batches(rng, n) -> (x, y)``, and the feature layer."""
    layer = LogBinPower(sfreq)
    layer.build((None, n_times, n_channels))
    sums, counts = None, np.zeros((n_classes, 1))
    for _ in range(-(-n_windows // batch)):
        x, y = batches(rng, batch)
        f = ops.convert_to_numpy(layer(ops.convert_to_tensor(x)))
        sums = np.zeros((n_classes, f.shape[1])) if sums is None else sums
        np.add.at(sums, y, f)
        np.add.at(counts, y, 1)
    return (sums / np.maximum(counts, 1)).astype("float32"), layer


class SpectralGAN:
    """Non-saturating GAN + lazy R1 + feature matching; EMA generator for sampling."""

    def __init__(self, generator, critic, *, latent_dim, total_steps, learning_rate=2e-3,
                 beta_2=0.99, r1_gamma=1.0, r1_every=4, ema_decay=0.99, decay_fraction=0.4,
                 fm_weight=100.0, fm_target=None, fm_layer=None, fm_beta=0.9):
        self.generator, self.critic, self.latent_dim = generator, critic, latent_dim
        self.r1_weight, self.r1_every = 0.5 * r1_gamma * r1_every, r1_every
        self.ema_decay, self.fm_beta = ema_decay, fm_beta
        self.fm_weight = fm_weight if fm_target is not None else 0.0
        self.fm_layer = fm_layer
        self.noise_shape = tuple(generator.inputs[2].shape[1:])
        rate = HoldThenDecay(learning_rate, total_steps, int(decay_fraction * total_steps))
        self.g_opt = keras.optimizers.Adam(rate, beta_1=0.0, beta_2=beta_2)
        self.d_opt = keras.optimizers.Adam(rate, beta_1=0.0, beta_2=beta_2)
        self.g_opt.build(generator.trainable_variables)
        self.d_opt.build(critic.trainable_variables)
        self.ema = [keras.Variable(v.value, trainable=False, name=f"ema_{v.name}")
                    for v in generator.trainable_variables]
        target = np.zeros((1, 1), "float32") if fm_target is None else fm_target
        # A variable, not a constant: XLA bakes constants into the compiled step, so every
        # dataset's step would compile anew (the JAX compilation cache could never hit).
        self.fm_target = keras.Variable(np.asarray(target, "float32"), trainable=False,
                                        name="fm_target")
        self.fm_classes = int(target.shape[0])
        self.fm_error = keras.Variable(np.zeros_like(target), trainable=False, name="fm_error")

    # -- host-drawn randomness of one step (shared by the critic and generator updates) ----
    def step_inputs(self, rng, n):
        z = rng.standard_normal((n, self.latent_dim), dtype=np.float32)
        s = rng.standard_normal((n,) + self.noise_shape, dtype=np.float32)
        return z, s

    def _fm_update(self, error, target, fake, labels):
        """New EMA of the class-mean feature error, from this step's (detached) fakes."""
        means, counts = class_means(self.fm_layer(fake), labels, self.fm_classes)
        return ops.where(counts > 0, self.fm_beta * error
                         + (1 - self.fm_beta) * (means - target), error)

    def _fm_loss(self, error, target, fake, labels):
        means, _ = class_means(self.fm_layer(fake), labels, self.fm_classes)
        return self.fm_weight * ops.mean(error * (means - target))

    # -- TensorFlow ---------------------------------------------------------------------
    def tf_step(self, real, labels, z, noise, do_r1: bool):
        """One critic and one generator update; the generator runs forward once (its
        windows feed the critic update, detached, then the generator loss)."""
        import tensorflow as tf

        c_vars, g_vars = self.critic.trainable_variables, self.generator.trainable_variables
        with tf.GradientTape() as g_tape:
            fake = self.generator([z, labels, noise], training=True)
            with g_tape.stop_recording():
                detached = tf.stop_gradient(fake)
                with tf.GradientTape() as tape:
                    real_score = self.critic([real, labels], training=True)
                    fake_score = self.critic([detached, labels], training=True)
                    d_loss = critic_loss(real_score, fake_score)
                    total = d_loss
                    if do_r1:
                        with tf.GradientTape() as inner:
                            inner.watch(real)
                            score = ops.sum(self.critic([real, labels], training=True))
                        penalty = r1_penalty(inner.gradient(score, real))
                        total = total + self.r1_weight * penalty
                    else:
                        penalty = tf.zeros(())
                self.d_opt.apply(tape.gradient(total, c_vars), c_vars)
                if self.fm_weight:
                    update = self._fm_update(self.fm_error.value, self.fm_target.value,
                                             detached, labels)
                    self.fm_error.assign(update)
                error = tf.stop_gradient(self.fm_error.value)
            g_loss = generator_loss(self.critic([fake, labels], training=True))
            total = g_loss
            if self.fm_weight:
                total = total + self._fm_loss(error, self.fm_target.value, fake, labels)
        self.g_opt.apply(g_tape.gradient(total, g_vars), g_vars)
        d = self.ema_decay
        for e, v in zip(self.ema, g_vars):
            e.assign(d * e.value + (1 - d) * v.value)
        return dict(zip(METRICS, (d_loss, g_loss, penalty, ops.mean(real_score),
                                  ops.mean(fake_score), ops.mean(ops.abs(self.fm_error.value)))))

    # -- JAX (a pure function of (state, batch)) -----------------------------------------
    def jax_state(self):
        g, c = self.generator, self.critic
        return tuple([v.value for v in group] for group in (
            g.trainable_variables, g.non_trainable_variables, c.trainable_variables,
            c.non_trainable_variables, self.g_opt.variables, self.d_opt.variables, self.ema,
            [self.fm_error, self.fm_target]))

    def set_jax_state(self, state):
        g, c = self.generator, self.critic
        groups = (g.trainable_variables, g.non_trainable_variables, c.trainable_variables,
                  c.non_trainable_variables, self.g_opt.variables, self.d_opt.variables,
                  self.ema, [self.fm_error, self.fm_target])
        for group, values in zip(groups, state):
            for variable, value in zip(group, values):
                variable.assign(value)

    def jax_step(self, state, real, labels, z, noise, do_r1: bool):
        import jax

        g_tv, g_ntv, c_tv, c_ntv, g_opt, c_opt, ema, (fm_error, fm_target) = state

        def gen(g_tv):
            return self.generator.stateless_call(g_tv, g_ntv, [z, labels, noise],
                                                 training=True)[0]

        def critic(c_tv, x):
            return self.critic.stateless_call(c_tv, c_ntv, [x, labels], training=True)[0]

        fake, pullback = jax.vjp(gen, g_tv)          # the generator runs forward once

        def d_total(c_tv):
            real_score, fake_score = critic(c_tv, real), critic(c_tv, fake)
            loss = critic_loss(real_score, fake_score)
            penalty = ops.zeros(())
            if do_r1:
                penalty = r1_penalty(jax.grad(lambda x: ops.sum(critic(c_tv, x)))(real))
            return loss + self.r1_weight * penalty, (loss, penalty, ops.mean(real_score),
                                                     ops.mean(fake_score))

        (_, (d_loss, penalty, rs, fs)), grads = jax.value_and_grad(d_total, has_aux=True)(c_tv)
        c_tv, c_opt = self.d_opt.stateless_apply(c_opt, grads, c_tv)
        if self.fm_weight:
            fm_error = self._fm_update(fm_error, fm_target, fake, labels)

        def g_total(x):
            loss = generator_loss(critic(c_tv, x))
            if self.fm_weight:
                loss = loss + self._fm_loss(jax.lax.stop_gradient(fm_error), fm_target, x,
                                            labels)
            return loss, loss

        (_, g_loss), x_grad = jax.value_and_grad(g_total, has_aux=True)(fake)
        (grads,) = pullback(x_grad)
        g_tv, g_opt = self.g_opt.stateless_apply(g_opt, grads, g_tv)
        d = self.ema_decay
        ema = [d * e + (1 - d) * v for e, v in zip(ema, g_tv)]
        logs = dict(zip(METRICS, (d_loss, g_loss, penalty, rs, fs,
                                  ops.mean(ops.abs(fm_error)))))
        return (g_tv, g_ntv, c_tv, c_ntv, g_opt, c_opt, ema, [fm_error, fm_target]), logs

    # -- checkpoint state -------------------------------------------------------------
    def variables(self) -> list:
        """Every variable training changes, in a fixed order (for checkpoints): both networks,
        both optimisers (their step counts drive the learning-rate schedule), the EMA
        generator and the feature-matching error."""
        return [*self.generator.weights, *self.critic.weights, *self.g_opt.variables,
                *self.d_opt.variables, *self.ema, self.fm_error]

    # -- sampling with the EMA weights ------------------------------------------------------
    def use_ema(self) -> None:
        """Give the generator the EMA weights (after training, to save it)."""
        for v, e in zip(self.generator.trainable_variables, self.ema):
            v.assign(e.value)

    def generate(self, labels, rng, batch=256, use_ema=True):
        """Standardised windows for ``labels`` (noise drawn from ``rng``)."""
        variables = self.generator.trainable_variables
        backup = [v.value for v in variables]
        if use_ema:
            for v, e in zip(variables, self.ema):
                v.assign(e.value)
        out = []
        for start in range(0, len(labels), batch):
            lab = np.asarray(labels[start:start + batch], np.int32)
            z, s = self.step_inputs(rng, len(lab))
            inputs = [ops.convert_to_tensor(a) for a in (z, lab, s)]
            out.append(ops.convert_to_numpy(self.generator(inputs, training=False)))
        for v, b in zip(variables, backup):
            v.assign(b)
        return np.concatenate(out)
