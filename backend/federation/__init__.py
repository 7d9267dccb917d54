"""Federation of centres: replication over a broker (NATS JetStream), ownership, escalation, tasks down."""
