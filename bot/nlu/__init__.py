"""Alex's own NLU components for Rasa's pipeline."""
