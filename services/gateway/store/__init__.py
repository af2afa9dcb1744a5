"""SQL over the gateway's own schema, `identity`. One module per table group."""
