"""Alex's custom actions, one module per domain, served by rasa_sdk (see bot/action_server.py)."""
