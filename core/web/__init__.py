"""The browser pages: the phone app (/m/) and the staff dashboard (/dashboard/).

Pages are thin shells: they sign in with a Django session (CSRF-protected), then talk to
the same /api/v1 and /ws/v1 as every other client. No business logic lives here.
"""
