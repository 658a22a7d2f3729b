"""REST routes of accounts: sign-in, organisations and users."""
