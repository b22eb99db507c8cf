"""Readers of the supported on-disk dataset layouts and the Zarr recording store."""
