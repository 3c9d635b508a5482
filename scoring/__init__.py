"""Scoring: how good a record's metadata is — DCAT-AP compliance by SHACL (:mod:`scoring.shacl`), the MQA score
(:mod:`scoring.mqa`), link checks (:mod:`scoring.links`).

Pure functions of the normalised model (and of verdicts handed to them): storing results is :mod:`index.quality`'s
job, deciding when to run them the pipeline's.
"""
