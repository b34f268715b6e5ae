"""Great Expectations gates on feeds and marts: ``expectations.checkpoints`` is the API."""
