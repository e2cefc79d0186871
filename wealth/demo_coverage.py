"""Demo policies: placeholder, replaced below."""
def generate(*args, **kwargs):
    return None
