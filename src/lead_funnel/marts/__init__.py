"""The readers of the marts a build leaves in a DuckDB file: :mod:`.summary` (``lead-funnel
summary``), :mod:`.report` (the HTML report), :mod:`.publish` (the copy BI tools read) and
:mod:`.validation` (the Great Expectations suite), over :mod:`.access` (read-only connections,
the schemas of the marts) and :mod:`.accounts` (the account and campaign marts added up). None of
them writes to the file it reads; the validation's run history is written apart
(:mod:`lead_funnel.warehouse.run_history`)."""
