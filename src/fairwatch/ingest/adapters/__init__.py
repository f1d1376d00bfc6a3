"""Adapters translate what peers emit (Frigate NVR over MQTT, Prometheus Alertmanager webhooks) into raw Fairwatch
events; they copy only fields they know to be safe, so identity data a peer sends never reaches the store."""
