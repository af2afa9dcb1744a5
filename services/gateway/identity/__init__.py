"""The gateway's identity service: users, sessions, access requests, registration, settings.

Each function here is one use case: it owns its transaction and emits, in that transaction, the
events the change causes. Routes translate HTTP to one call and the result back to a view; the
store (`services.gateway.store`) is SQL only; the rules are pure functions in `accounts`."""
