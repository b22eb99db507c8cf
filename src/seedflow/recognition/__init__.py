"""The recognition stage: leak-free protocols (:mod:`~seedflow.recognition.protocols`), what
each model reads (:mod:`~seedflow.recognition.representations`), training and evaluating a
model on one fold (:mod:`~seedflow.recognition.train`, :mod:`~seedflow.recognition.batches`),
stacking (:mod:`~seedflow.recognition.stacking`), predictions
(:mod:`~seedflow.recognition.predictions`), their summary
(:mod:`~seedflow.recognition.metrics`), and predicting new recordings as in training
(:mod:`~seedflow.recognition.predict`, :mod:`~seedflow.recognition.preparation`)."""
