"""Messaging: the broker, stream provisioning, the outbox and its relay, consumers and RPC."""
