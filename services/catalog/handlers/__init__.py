"""The catalog's RPC handlers, one module per aggregate: each method takes its operation's
request type and returns its reply type; the transaction and the events are theirs."""
