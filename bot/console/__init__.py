"""The agent console: a single page where support agents work the queue, take conversations over from Alex,
answer sellers and hand them back (`python -m bot.console`; the backend holds the tickets, Rasa the conversations)."""
