"""The feature-level GAN: a class-conditional Wasserstein GAN with gradient penalty
(WGAN-GP, Gulrajani et al. 2017) on the DE grid (9, 9, bands), as in BCGAN. (The signal-level
GAN is :mod:`seedflow.synthesis.spectral`.)

Backend-agnostic Keras 3. The adversarial update needs gradients with respect to the
critic's *input* (the penalty), which Keras 3 exposes only through each backend's autodiff,
so :class:`WGANGP` has one train step for TensorFlow (``tf.GradientTape``, run per replica
of a ``tf.distribute`` strategy) and one for JAX (``stateless_call`` + ``jax.grad``,
jit-compiled; sharded by ``keras.distribution``). The random inputs of a step (generator
noise, interpolation weights) are drawn on the host and fed with the batch, so a step is a
pure function of its inputs: the same seed gives the same numbers on any backend state,
replicas never share noise, and resuming is exact.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops


def build_feature_generator(latent_dim: int, n_classes: int, grid_shape: tuple,
                            width: int = 64) -> keras.Model:
    """(noise, class) -> a standardised DE grid (rows, cols, bands), BCGAN-like."""
    rows, cols, bands = grid_shape
    noise = keras.Input(shape=(latent_dim,), name="noise")
    label = keras.Input(shape=(), dtype="int32", name="label")
    x = layers.Concatenate()([noise, layers.Embedding(n_classes, latent_dim)(label)])
    x = layers.Dense(rows * cols * width)(x)
    x = layers.LeakyReLU(0.2)(layers.Reshape((rows, cols, width))(x))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 3, padding="same")(x))
    x = layers.Conv2D(bands, 3, padding="same")(x)
    return keras.Model([noise, label], x, name="feature_generator")


def build_feature_critic(grid_shape: tuple, n_classes: int, width: int = 64) -> keras.Model:
    """(DE grid, class) -> a real-valued score, class by projection."""
    grid = keras.Input(shape=grid_shape, name="grid")
    label = keras.Input(shape=(), dtype="int32", name="label")
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 3, padding="same")(grid))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 3, strides=2, padding="same")(x))
    h = layers.GlobalAveragePooling2D()(x)
    return keras.Model([grid, label], _projection_score(h, label, n_classes, width),
                       name="feature_critic")


def _projection_score(h, label, n_classes: int, width: int):
    score = layers.Dense(1)(h)
    projection = ops.sum(layers.Embedding(n_classes, width)(label) * h, axis=-1, keepdims=True)
    return score + projection


def penalty_from_input_gradient(grads):
    """Mean over the batch of (||d critic / d x||_2 - 1)^2."""
    axes = tuple(range(1, len(grads.shape)))
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=axes) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def _broadcast(alpha, like):
    """(batch,) interpolation weights reshaped to broadcast against ``like``."""
    return ops.reshape(alpha, (-1,) + (1,) * (len(like.shape) - 1))


METRICS = ("critic_loss", "generator_loss", "gradient_penalty", "wasserstein")


class WGANGP:
    """Adversarial training of ``generator`` against ``critic``: ``n_critic`` critic updates
    (fresh noise, same real batch) per generator update, penalty weight ``gp_weight``.

    Build it (networks and optimizers) inside the distribution scope it will train under.
    """

    def __init__(self, generator: keras.Model, critic: keras.Model, latent_dim: int,
                 n_critic: int = 5, gp_weight: float = 10.0, learning_rate: float = 2e-4,
                 beta_1: float = 0.0, beta_2: float = 0.9):
        self.generator, self.critic = generator, critic
        self.latent_dim, self.n_critic, self.gp_weight = latent_dim, n_critic, gp_weight
        adam = dict(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2)
        self.generator_optimizer = keras.optimizers.Adam(**adam)
        self.critic_optimizer = keras.optimizers.Adam(**adam)
        self.generator_optimizer.build(generator.trainable_variables)
        self.critic_optimizer.build(critic.trainable_variables)

    # -- random inputs of one epoch, drawn on the host ----------------------------------
    def step_inputs(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Noise (n, n_critic + 1, latent) and interpolation weights (n, n_critic)."""
        noise = rng.standard_normal((n, self.n_critic + 1, self.latent_dim)).astype(np.float32)
        alpha = rng.uniform(size=(n, self.n_critic)).astype(np.float32)
        return noise, alpha

    # -- the gradient penalty (per backend: needs d critic / d input) ------------------
    def gradient_penalty(self, real, fake, labels, alpha):
        """Penalty at ``real + alpha (fake - real)`` with the critic's current weights."""
        mixed = real + _broadcast(alpha, real) * (fake - real)
        if keras.backend.backend() == "jax":
            import jax

            def total(x):
                return ops.sum(self.critic([x, labels], training=True))
            return penalty_from_input_gradient(jax.grad(total)(mixed))
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(mixed)
            score = self.critic([mixed, labels], training=True)
        return penalty_from_input_gradient(tape.gradient(score, mixed))

    # -- TensorFlow: one replica's step ---------------------------------------------------
    def tf_step(self, real, labels, noise, alpha):
        import tensorflow as tf

        # Keras optimizers sum gradients over replicas: scale each replica's mean loss.
        scale = 1.0 / tf.distribute.get_strategy().num_replicas_in_sync
        critic_vars = self.critic.trainable_variables
        for i in range(self.n_critic):
            with tf.GradientTape() as tape:
                fake = self.generator([noise[:, i], labels], training=True)
                real_score = ops.mean(self.critic([real, labels], training=True))
                fake_score = ops.mean(self.critic([fake, labels], training=True))
                penalty = self.gradient_penalty(real, fake, labels, alpha[:, i])
                critic_loss = fake_score - real_score + self.gp_weight * penalty
                scaled = critic_loss * scale
            grads = tape.gradient(scaled, critic_vars)
            self.critic_optimizer.apply(grads, critic_vars)
        generator_vars = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator([noise[:, -1], labels], training=True)
            generator_loss = -ops.mean(self.critic([fake, labels], training=True))
            scaled = generator_loss * scale
        grads = tape.gradient(scaled, generator_vars)
        self.generator_optimizer.apply(grads, generator_vars)
        return dict(zip(METRICS, (critic_loss, generator_loss, penalty,
                                  real_score - fake_score)))

    # -- JAX: a pure function of (state, batch) --------------------------------------------
    def jax_state(self):
        return ([v.value for v in self.generator.trainable_variables],
                [v.value for v in self.generator.non_trainable_variables],
                [v.value for v in self.critic.trainable_variables],
                [v.value for v in self.critic.non_trainable_variables],
                [v.value for v in self.generator_optimizer.variables],
                [v.value for v in self.critic_optimizer.variables])

    def set_jax_state(self, state) -> None:
        """Write a JAX state back into the Keras variables (to save or sample)."""
        variables = (self.generator.trainable_variables, self.generator.non_trainable_variables,
                     self.critic.trainable_variables, self.critic.non_trainable_variables,
                     self.generator_optimizer.variables, self.critic_optimizer.variables)
        for group, values in zip(variables, state):
            for variable, value in zip(group, values):
                variable.assign(value)

    def jax_step(self, state, real, labels, noise, alpha):
        import jax

        g_tv, g_ntv, c_tv, c_ntv, g_opt, c_opt = state

        def critic_score(c_tv, x):
            return self.critic.stateless_call(c_tv, c_ntv, [x, labels], training=True)[0]

        def critic_loss(c_tv, fake, a):
            real_score = ops.mean(critic_score(c_tv, real))
            fake_score = ops.mean(critic_score(c_tv, fake))
            mixed = real + _broadcast(a, real) * (fake - real)
            grads = jax.grad(lambda x: ops.sum(critic_score(c_tv, x)))(mixed)
            penalty = penalty_from_input_gradient(grads)
            loss = fake_score - real_score + self.gp_weight * penalty
            return loss, (penalty, real_score - fake_score)

        for i in range(self.n_critic):
            fake = self.generator.stateless_call(g_tv, g_ntv, [noise[:, i], labels],
                                                 training=True)[0]
            (c_loss, (penalty, distance)), grads = jax.value_and_grad(
                critic_loss, has_aux=True)(c_tv, jax.lax.stop_gradient(fake), alpha[:, i])
            c_tv, c_opt = self.critic_optimizer.stateless_apply(c_opt, grads, c_tv)

        def generator_loss(g_tv):
            fake = self.generator.stateless_call(g_tv, g_ntv, [noise[:, -1], labels],
                                                 training=True)[0]
            return -ops.mean(critic_score(c_tv, fake))

        g_loss, grads = jax.value_and_grad(generator_loss)(g_tv)
        g_tv, g_opt = self.generator_optimizer.stateless_apply(g_opt, grads, g_tv)
        logs = dict(zip(METRICS, (c_loss, g_loss, penalty, distance)))
        return (g_tv, g_ntv, c_tv, c_ntv, g_opt, c_opt), logs

    # -- checkpoint state -------------------------------------------------------------
    def variables(self) -> list:
        """Every variable training changes, in a fixed order (for checkpoints)."""
        return [*self.generator.weights, *self.critic.weights,
                *self.generator_optimizer.variables, *self.critic_optimizer.variables]

    def generate(self, labels: np.ndarray, noise: np.ndarray, batch_size: int = 256):
        """Standardised samples for ``labels`` from ``noise`` (n, latent)."""
        return self.generator.predict([noise.astype(np.float32), labels.astype(np.int32)],
                                      batch_size=batch_size, verbose=0)
