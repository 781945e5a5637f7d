"""The application layer: turns command-line options into a running pipeline and a report.

``options`` holds what the user asked for, ``stages`` builds the frame-processing steps (shared by
the pipeline and the benchmark's sequential loop, so both do identical work), ``runner`` runs one
job end to end, ``batch`` many files, ``bench`` measures, ``report`` writes the JSON.
"""
