"""The features stage: band features per window of an ingested recording, computed out of
core with Dask (:mod:`~seedflow.features.extraction`; what it computes:
:mod:`~seedflow.features.spec`, with :mod:`~seedflow.features.preprocessing` and
:mod:`~seedflow.features.smoothing`; where it runs: :mod:`~seedflow.features.scheduling`), or
read from SEED's official features (:mod:`~seedflow.features.official`)."""
