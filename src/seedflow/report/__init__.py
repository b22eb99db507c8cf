"""MNE HTML reports: one per subject (:mod:`~seedflow.report.subject`) and one summary of
the whole run (:mod:`~seedflow.report.summary`)."""
