"""Scale-out on NATS JetStream and PostgreSQL: edge and worker roles, partition leases with fencing, the event and
change streams, operator commands as request-reply (docs/architecture.md#a-cluster, docs/deploy.md)."""
