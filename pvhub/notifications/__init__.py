"""Notifications: what each organisation is told in the app and by e-mail."""
