"""Every write of dispatch: raising and changing alerts, responses, escalation, CAP import."""
