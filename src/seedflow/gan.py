"""A class-conditional Wasserstein GAN with gradient penalty (WGAN-GP) for EEG windows.

Generator and critic are backend-agnostic Keras 3; the adversarial train step needs
gradients with respect to the critic's input (the penalty), which Keras 3 exposes only
through each backend's own autodiff, so the step is written for TensorFlow here.
Windows are (time, channels), standardised per channel with the training windows' mean
and standard deviation (stored with the model so samples come back in volts).
"""

from __future__ import annotations

import keras
from keras import layers, ops


def build_generator(latent_dim: int, n_classes: int, n_times: int, n_channels: int,
                    width: int = 128) -> keras.Model:
    """(noise, class) -> a standardised window (n_times, n_channels)."""
    noise = keras.Input(shape=(latent_dim,), name="noise")
    label = keras.Input(shape=(), dtype="int32", name="label")
    embedded = layers.Embedding(n_classes, latent_dim)(label)
    x = layers.Concatenate()([noise, embedded])
    steps = -(-n_times // 8)
    x = layers.Dense(steps * width)(x)
    x = layers.Reshape((steps, width))(x)
    for filters in (width, width // 2, width // 2):
        x = layers.UpSampling1D(2)(x)
        x = layers.Conv1D(filters, 5, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv1D(n_channels, 5, padding="same")(x)
    x = layers.Cropping1D((0, steps * 8 - n_times))(x)
    return keras.Model([noise, label], x, name="generator")


def build_critic(n_times: int, n_channels: int, n_classes: int, width: int = 128) -> keras.Model:
    """(window, class) -> a real-valued score; class enters by projection (Miyato 2018)."""
    window = keras.Input(shape=(n_times, n_channels), name="window")
    label = keras.Input(shape=(), dtype="int32", name="label")
    x = window
    for filters in (width // 2, width, width):
        x = layers.Conv1D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    h = layers.GlobalAveragePooling1D()(x)
    score = layers.Dense(1)(h)
    projection = ops.sum(layers.Embedding(n_classes, width)(label) * h, axis=-1, keepdims=True)
    return keras.Model([window, label], score + projection, name="critic")


class ConditionalWGANGP(keras.Model):
    """Adversarial training of a generator against a critic, ``n_critic`` critic steps
    per generator step, penalty weight ``gp_weight`` (Gulrajani et al. 2017)."""

    def __init__(self, generator, critic, latent_dim: int, n_critic: int = 5,
                 gp_weight: float = 10.0, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.generator = generator
        self.critic = critic
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("critic_loss", "generator_loss", "gradient_penalty",
                                      "wasserstein")}

    def compile(self, generator_optimizer, critic_optimizer):
        super().compile()
        self.generator_optimizer = generator_optimizer
        self.critic_optimizer = critic_optimizer

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs):
        return self.generator(inputs)

    def gradient_penalty(self, real, fake, labels):
        """Mean of (||d critic / d x||_2 - 1)^2 at random points between real and fake."""
        import tensorflow as tf

        alpha = keras.random.uniform((ops.shape(real)[0], 1, 1), seed=self.seed_generator)
        mixed = real + alpha * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            score = self.critic([mixed, labels], training=True)
        grads = tape.gradient(score, mixed)
        norms = ops.sqrt(ops.sum(ops.square(grads), axis=(1, 2)) + 1e-12)
        return ops.mean(ops.square(norms - 1.0))

    def _noise(self, batch):
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def train_step(self, data):
        import tensorflow as tf

        real, labels = data
        batch = ops.shape(real)[0]
        for _ in range(self.n_critic):
            with tf.GradientTape() as tape:
                fake = self.generator([self._noise(batch), labels], training=True)
                real_score = ops.mean(self.critic([real, labels], training=True))
                fake_score = ops.mean(self.critic([fake, labels], training=True))
                penalty = self.gradient_penalty(real, fake, labels)
                critic_loss = fake_score - real_score + self.gp_weight * penalty
            grads = tape.gradient(critic_loss, self.critic.trainable_variables)
            self.critic_optimizer.apply_gradients(zip(grads, self.critic.trainable_variables))
        with tf.GradientTape() as tape:
            fake = self.generator([self._noise(batch), labels], training=True)
            generator_loss = -ops.mean(self.critic([fake, labels], training=True))
        grads = tape.gradient(generator_loss, self.generator.trainable_variables)
        self.generator_optimizer.apply_gradients(
            zip(grads, self.generator.trainable_variables))
        for name, value in (("critic_loss", critic_loss), ("generator_loss", generator_loss),
                            ("gradient_penalty", penalty),
                            ("wasserstein", real_score - fake_score)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}
