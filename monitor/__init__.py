"""The open-data obligation monitor: which local authorities under the obligation publish, where, and how well.

Why a package of its own: it joins three things no other layer holds together — the reference of bodies under
obligation (:mod:`normalise.reference` writes it), the harvested records in the store, and their quality scores —
and it is downstream of all of them (it reads the store; nothing upstream reads it).

* :mod:`monitor.bodies`: the bodies (communes, EPCI, départements, régions) with their SIREN, territory and whether
  the obligation applies; name and SIREN indexes for matching;
* :mod:`monitor.publishers`: harvested publishers linked to bodies (SIREN, else name and territory, with a
  confidence and the rule that matched; ``config/publishers.yaml`` overrides);
* :mod:`monitor.obligations`: per-body status, rates by type/département/région/nation, dated snapshots and trend.
"""
