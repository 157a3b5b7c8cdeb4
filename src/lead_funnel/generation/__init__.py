"""The synthetic data generator, by stage and by table.

- :mod:`.dataset`: a whole set, chunk by chunk, with its manifest (``lead-funnel generate``);
- :mod:`.chunk`: one chunk, every stage in order: :mod:`.contacts`, :mod:`.engagement`
  (engagement_events), :mod:`.trials`, :mod:`.sales` (the sales process, sales_activities),
  :mod:`.opportunities`; with :mod:`.dirty` (re-deliveries and dirty rows) and :mod:`.counts`
  (staged counts, key numbering);
- :mod:`.next_day`: the rows an EL tool appends the next day, on a set :mod:`.existing_set`
  reads;
- :mod:`.text` (vocabularies, vectorised text), :mod:`.campaigns`, :mod:`.writer` (CSV and
  Parquet files), :mod:`.shapes` (a set as a connector lands it).
"""
