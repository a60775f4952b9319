"""The help page: the platform's stand-in, serving its policy articles and the chat widget (issue 5)."""
