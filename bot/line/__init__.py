"""Everything that knows the LINE wire format: webhook, client, message builders."""
