"""The wealth app's models, one module per part."""
