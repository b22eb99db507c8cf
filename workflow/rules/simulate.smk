"""The embedded dataset with planted class effects, in the layout of simulation.layout."""

import re

from seedflow import simulate_layouts

SIMULATED_LAYOUT = simulate_layouts.layout_of(config["simulation"])

if config["dataset"]["kind"] == "simulated" and SIMULATED_LAYOUT == "seed":

    SIMULATED = datasets.dataset_root(config) / "Preprocessed_EEG"

    rule simulate_session:
        output:
            SIMULATED / "{subject}_{date}.mat",
        log:
            RESULTS / "logs" / "simulate" / "{subject}_{date}.log",
        wildcard_constraints:
            subject=r"\d+",
            date=r"\d{8}",
        params:
            simulation=config["simulation"],
        conda:
            "../../envs/seedflow.yaml"
        script:
            "../scripts/simulate_session.py"

    rule simulate_labels:
        output:
            SIMULATED / "label.mat",
        log:
            RESULTS / "logs" / "simulate" / "label.log",
        params:
            simulation=config["simulation"],
        conda:
            "../../envs/seedflow.yaml"
        script:
            "../scripts/simulate_labels.py"

    rule simulate_features:
        input:
            SIMULATED / "{subject}_{date}.mat",
        output:
            SIMULATED.parent / "ExtractedFeatures" / "{subject}_{date}.mat",
        log:
            RESULTS / "logs" / "simulate" / "features_{subject}_{date}.log",
        wildcard_constraints:
            subject=r"\d+",
            date=r"\d{8}",
        params:
            simulation=config["simulation"],
        conda:
            "../../envs/seedflow.yaml"
        script:
            "../scripts/simulate_features.py"


if config["dataset"]["kind"] == "simulated" and SIMULATED_LAYOUT != "seed":

    SIMULATED_FILES = sorted(
        {str(r.path.relative_to(datasets.dataset_root(config))) for r in RECORDINGS.values()}
        | set(simulate_layouts.shared_files(config["simulation"]))
    )

    rule simulate_file:
        output:
            datasets.dataset_root(config) / "{path}",
        log:
            RESULTS / "logs" / "simulate" / "{path}.log",
        wildcard_constraints:
            path="|".join(re.escape(f) for f in SIMULATED_FILES),
        params:
            simulation=config["simulation"],
            root=datasets.dataset_root(config),
        conda:
            "../../envs/seedflow.yaml"
        script:
            "../scripts/simulate_file.py"
