"""Business logic for accounts: sessions, sign-in, tokens, passwords."""
