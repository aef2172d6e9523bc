"""Every write in core is a function here: keyword-only, typed, atomic."""
