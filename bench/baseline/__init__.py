"""A minimal DRF project, the baseline of ``bench/http_bench.py`` (#14 item 6): same Django and DRF,
nothing of Aragora. Its own settings, URLs, views and one model."""
