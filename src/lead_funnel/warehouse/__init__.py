"""What the project writes into a warehouse: connections to each engine, loading the raw
extracts (:mod:`.loading`, over the engines of :mod:`.engines` and the CSV inspection of
:mod:`.csv_files`), and the run history the validation suite records (:mod:`.run_history`)."""
