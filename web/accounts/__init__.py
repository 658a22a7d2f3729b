"""Pages of accounts: sign-in, password, organisations and users."""
