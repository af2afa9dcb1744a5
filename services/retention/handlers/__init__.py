"""The retention service's RPC handlers, one module per aggregate: `policies` (000 fields, 001
tiers) and `preview` (what a policy would keep and delete for one database)."""
