"""NLU classifiers of a workspace."""
