"""Privacy models (consents, exports) arrive with the privacy issue."""
