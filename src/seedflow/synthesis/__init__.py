"""The synthesis stage: class-conditional WGAN-GPs (networks:
:mod:`~seedflow.synthesis.networks`; training shared by both:
:mod:`~seedflow.synthesis.training`) on signal windows (:mod:`~seedflow.synthesis.signal_gan`,
exported as recordings by :mod:`~seedflow.synthesis.export`) and on the DE grid
(:mod:`~seedflow.synthesis.feature_gan`), mixup (:mod:`~seedflow.synthesis.mixup`), their
quality (:mod:`~seedflow.synthesis.quality`) and the augmentation experiment
(:mod:`~seedflow.synthesis.augmentation`)."""
