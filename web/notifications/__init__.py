"""Notifications as the reader sees them: in the app and in their e-mail."""
