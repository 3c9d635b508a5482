"""Scoring: how good a record's metadata is — the MQA score (:mod:`scoring.mqa`), DCAT-AP compliance by SHACL
(:mod:`scoring.shacl`), link checks (:mod:`scoring.links`), the French rules beside MQA (:mod:`scoring.french`) and
the on-demand Table Schema validation of CSV files (:mod:`scoring.tableschema`).

Pure functions of the normalised model (and of verdicts handed to them), except the link checker and the Table
Schema validation, which fetch through the shared HTTP layer: storing results is :mod:`index.quality`'s job, deciding
when to run them the pipeline's.
"""
