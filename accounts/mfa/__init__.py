"""MFA primitives: TOTP (RFC 6238) and backup codes. The flows live in accounts.services.mfa."""
