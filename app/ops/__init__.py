"""Operating the service: health, metrics, logs, retention, the configuration document."""
