"""The order and dispute backend: the platform's system of record, reached by the bot only over HTTP."""
