"""seedflow: EEG emotion recognition and synthetic EEG for the SEED family, on HPC."""

__version__ = "0.1.0"
