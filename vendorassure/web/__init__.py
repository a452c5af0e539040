"""Web UI blueprints, one package per audience."""
