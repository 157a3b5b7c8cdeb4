"""The validation suite over the marts (``lead-funnel validate``): the expectations
(:mod:`.suite`), the run (:mod:`.run`) and its report (:mod:`.results`). The row counts it
compares with earlier runs live in :mod:`lead_funnel.warehouse.run_history`."""
