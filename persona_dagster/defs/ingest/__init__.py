"""Landing files and reference inputs into the raw schema."""
