"""Our Rasa input channels: each verifies who the seller is before a message reaches the bot."""
