"""Every write of the training app: keyword-only, typed, atomic, audited; events published after commit."""
