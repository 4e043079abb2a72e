"""Running Aira on one machine: embedded PostgreSQL and NATS, and a process supervisor."""
