"""The notifier's own schema. It has no tables of its own yet; the bus tables every service
needs (outbox, processed events) come from `libs.bus.migrations`, applied before these."""
