"""Accounts: organisations, users, sign-in and sessions."""
