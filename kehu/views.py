"""Project-level pages that draw on several apps."""
