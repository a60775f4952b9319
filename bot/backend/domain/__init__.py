"""What the backend does, one module per domain; the HTTP routes call these inside one transaction."""
