"""The national picture (总览): per province, as in the annexes of 建司局函金〔2021〕30号 — link
coverage, failing links, open tickets by stage, overdue reviews, upcoming cutovers — with trends
over a period, the Excel export and the page that draws them. The ministry sees every province,
a province reviewer only its own; every query starts from ``accounts.access``. The figures it reads
over a period are kept by the operations that change them (``tickets.figures``)."""
