"""The retention app's models, one module per part."""
