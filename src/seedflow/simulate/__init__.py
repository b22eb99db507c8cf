"""The embedded simulated dataset: one signal model (:mod:`~seedflow.simulate.signal`) and
one writer per dataset layout (a module named as the layout's kind in
:mod:`seedflow.datasets`, which points to it). Each writer module provides the same
functions: ``recordings(spec)`` and ``shared_files()`` (the files it writes, relative to the
dataset root), ``file_spec(spec, relative)`` (what one file depends on), ``write(spec,
relative, out)``, ``header(spec, dataset, recording)`` (what the layout's reader will find,
for planning before the files exist), ``paths(root)`` (dataset settings naming its files)
and ``NATIVE_SFREQ`` (the dataset's real rate, for ``simulation.sfreq: null``)."""
