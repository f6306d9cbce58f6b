"""Building blocks shared by the services (not a service): settings, database, outbox,
idempotent batch consumer, JetStream set-up, HTTP errors, policy and working days."""
