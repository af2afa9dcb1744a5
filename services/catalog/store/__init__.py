"""SQL over the catalog schema, one module per table group; every read returns typed rows."""
