"""Prometheus metrics, one registry per running app so tests can build many apps in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The counters, gauges and histograms Fairwatch exports at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter("fairwatch_events_total", "Events by outcome", ["outcome"], registry=r)
        self.refused = Counter(
            "fairwatch_events_refused_by_policy_total", "Events refused by the person-data ban", registry=r
        )
        self.alarm_changes = Counter(
            "fairwatch_alarm_changes_total", "Alarm changes by kind", ["kind"], registry=r
        )
        self.alarms_open = Gauge("fairwatch_alarms_open", "Alarms not resolved", registry=r)
        self.queue_depth = Gauge("fairwatch_ingest_queue_depth", "Events waiting for the writer", registry=r)
        self.batch_size = Histogram(
            "fairwatch_commit_batch_events",
            "Events per group commit",
            buckets=(1, 10, 50, 100, 500, 1000, 5000),
            registry=r,
        )
        self.rule_seconds = Histogram(
            "fairwatch_rule_evaluation_seconds",
            "Rule evaluation time per committed batch",
            buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5),
            registry=r,
        )
        self.rejected_by_transport = Counter(
            "fairwatch_events_rejected_by_transport_total",
            "Events (or undecodable messages) rejected by validation or the person-data ban, by transport",
            ["transport"],
            registry=r,
        )
        self.mqtt_messages = Counter(
            "fairwatch_mqtt_messages_total", "MQTT messages by outcome", ["outcome"], registry=r
        )
        self.mqtt_connected = Gauge(
            "fairwatch_mqtt_connected", "1 while connected to the MQTT broker", registry=r
        )
        self.identity_dropped = Counter(
            "fairwatch_adapter_identity_fields_dropped_total",
            "Identity fields (recognised face names, plate text, face/plate attributes) dropped by adapters",
            ["adapter", "field"],
            registry=r,
        )
        self.adapter_dropped = Counter(
            "fairwatch_adapter_items_dropped_total",
            "Items adapters left out while keeping the rest: non-safety camera labels, unknown zones, refused or"
            " invalid items (RS-12, RS-14)",
            ["adapter", "reason"],
            registry=r,
        )
        self.notifications = Counter(
            "fairwatch_notifications_total",
            "Notification attempts by channel and outcome",
            ["channel", "outcome"],
            registry=r,
        )
