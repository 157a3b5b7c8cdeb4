"""``lead-funnel report``: the funnel as one self-contained HTML page.

The page is one file that opens with no network: plotly.js is embedded once, every chart is a
plotly figure drawn from numbers read here from the marts (schema ``analytics``) and the
quarantine (``analytics_data_quality.dq_quarantined_rows``):

- the conversion waterfall (leads -> MQL -> SAL -> SQL -> opportunity -> customer), counts and
  the rate from the stage before, ratios of the totals of ``funnel_conversion``;
- conversion by lead source (lead -> MQL, MQL -> SAL, lead -> customer);
- MQLs per week (handoffs by the week of ``mql_at``, re-MQLs count again) with the acceptance
  rate of that week's handoffs: accepted / (accepted + rejected), pending ones left out. It is
  read from ``lead_handoffs`` per handoff, never as SALs-of-a-week over MQLs-of-a-week (an MQL
  of Friday accepted on Monday belongs to Friday's week);
- handoff response times against the SLA (``within_sla`` as the mart judged it; pending
  handoffs counted beside the histogram, inside or past the SLA);
- fit x engagement scores of every contact at as_of, with the MQL threshold (fit + engagement
  = ``mql_threshold``) drawn in;
- PQLs: ``funnel_conversion.pqls`` and ``lead_stages.pql_at`` (PQLs per month, PQL -> customer);
- the account funnel (accounts -> MQA -> opportunity -> customer, totals of
  ``account_funnel_conversion``) and the campaigns by attributed MQLs and customers
  (``campaign_funnel``, one attribution model at a time): :mod:`.account_charts`;
- data quality: quarantined raw rows by reason and source table.

:func:`.data.collect` reads the numbers (testable on their own), :mod:`.charts` draws
them and :func:`.page.render` lays the page out (:func:`.page.write_report` writes it).
"""
