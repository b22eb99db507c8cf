"""The embedded dataset: SEED's Preprocessed_EEG layout with planted class effects."""

if config["dataset"]["kind"] == "simulated":

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
