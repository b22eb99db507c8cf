"""One feature WGAN-GP training step from given weights on given devices (run in a subprocess by
test_synthesis.py: the Keras backend and the device count are fixed per process).

usage: python gan_devices.py <devices> <initial weights .npz or 'new'> <out .npz> <checkpoint>
"""

import sys
from pathlib import Path

import numpy as np

n_devices, initial, out, checkpoint = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

import keras  # noqa: E402

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})  # fast trace
if keras.backend.backend() == "tensorflow" and n_devices > 1:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * n_devices)

from seedflow import backend  # noqa: E402
from seedflow.synthesis import networks  # noqa: E402
from seedflow.synthesis import training  # noqa: E402

backend.seed_everything(0)
devices = backend.data_parallel(n_devices, "synthesis.devices")
with devices.scope():
    trainer = networks.WGANGP(networks.build_feature_generator(4, 2, (3, 3, 2), width=8),
                              networks.build_feature_critic((3, 3, 2), 2, width=8), 4,
                              n_critic=1)
if initial != "new":
    with np.load(initial) as saved:
        for i, variable in enumerate(trainer.variables()):
            variable.assign(saved[f"v{i}"])
before = [keras.ops.convert_to_numpy(v.value) for v in trainer.variables()]
rng = np.random.default_rng(1)
x = rng.standard_normal((8, 3, 3, 2)).astype(np.float32)
y = np.array([0, 1] * 4, dtype=np.int32)
history = training.train(trainer, devices, x, y, epochs=1, batch_size=8, seed=0,
                             checkpoint=Path(checkpoint), fingerprint="test")
after = [keras.ops.convert_to_numpy(v.value) for v in trainer.variables()]
np.savez(out, **{f"v{i}": a for i, a in enumerate(before)},
         **{f"after{i}": a for i, a in enumerate(after)},
         n_devices=devices.strategy.num_replicas_in_sync if devices.strategy
         else (devices.distribution.device_mesh.devices.size if devices.distribution else 1),
         critic_loss=history[0]["critic_loss"])
