"""MNE HTML reports: one per subject and one summary of the whole run."""

from seedflow.report.subject import subject_report
from seedflow.report.summary import summary_report

__all__ = ["subject_report", "summary_report"]
