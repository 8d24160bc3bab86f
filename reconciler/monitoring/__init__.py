"""Monitoring: the condition catalogue, findings with thresholds, and what reports them
(``storplan health``, ``watch``, ``exporter``; docs/monitoring.md).

Modules: ``conditions`` (the catalogue), ``thresholds`` (capacity thresholds), ``findings``
(a State's conditions as one worst-first list), ``probe`` (one array observed again and again,
an outage reported as a condition), ``nagios`` (the plugin convention), ``events`` (raised,
cleared, progress; commands and webhooks), ``exposition`` (Prometheus text), ``exporter``
(its HTTP server and textfile).
"""
