"""Alex: the support assistant for sellers, and the services around it."""
