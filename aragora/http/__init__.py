"""The HTTP security layer: headers, error shape, request limits, client IP, rate-limit headers."""
