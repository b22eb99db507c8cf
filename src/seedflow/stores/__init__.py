"""The Zarr stores the stages hand on, each layout read and written in one module:
:mod:`~seedflow.stores.ingest` (samples of one recording), :mod:`~seedflow.stores.features`
(band features per window) and :mod:`~seedflow.stores.samples` (synthetic examples)."""

from zarr.codecs import BloscCodec

# The compression of every array the stages write.
COMPRESSOR = BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")
