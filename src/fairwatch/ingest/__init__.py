"""Getting events in: the transports and adapters (HTTP, MQTT, Frigate, Alertmanager) that feed the writer."""
