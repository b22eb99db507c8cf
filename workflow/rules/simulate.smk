"""The embedded dataset with planted class effects, in the layout of simulation.layout, one
job per file (seedflow.simulate: the layout's writer)."""

import re

from seedflow.simulate.signal import SimulationSpec

if datasets.simulated(config):

    SIMULATED = datasets.dataset_root(config)
    SIMULATOR = datasets.kind_of(config).simulation()
    SIMULATION = SimulationSpec.from_config(config)
    SIMULATED_FILES = sorted(
        {str(r.path.relative_to(SIMULATED)) for r in RECORDINGS.values()}
        | set(SIMULATOR.shared_files())
    )

    rule simulate_file:
        output:
            SIMULATED / "{path}",
        log:
            RESULTS / "logs" / "simulate" / "{path}.log",
        wildcard_constraints:
            path="|".join(re.escape(f) for f in SIMULATED_FILES),
        priority: 2  # as the ingest and features jobs that wait for it
        params:
            simulation=lambda w: as_param(SIMULATOR.file_spec(SIMULATION, w.path)),
        conda:
            "../../envs/seedflow.yaml"
        script:
            "../scripts/simulate_file.py"

    # A dataset's own features (dataset.features: official), computed from the simulated
    # recording as the dataset computed them.
    SIMULATED_FEATURES = {
        str(r.feature_file.relative_to(SIMULATED)): r.path
        for r in RECORDINGS.values()
        if r.feature_file
    }

    if SIMULATED_FEATURES:

        rule simulate_features:
            input:
                lambda w: SIMULATED_FEATURES[w.path],
            output:
                SIMULATED / "{path}",
            log:
                RESULTS / "logs" / "simulate" / "{path}.log",
            wildcard_constraints:
                path="|".join(re.escape(f) for f in SIMULATED_FEATURES),
            params:
                sfreq=SIMULATION.sfreq,
            conda:
                "../../envs/seedflow.yaml"
            script:
                "../scripts/simulate_features.py"
