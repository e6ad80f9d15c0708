"""What every request and page shares, whatever the feature: the input guard that refuses bad
requests first (``input_guard``), request size limits (``request_limits``), reading query arguments
(``query_args``), the error answers in HTML and JSON (``errors``), and what templates share (``ui``)."""
