"""The JSON API under /api/v1: bearer tokens only, typed response models, RFC 9457 errors."""
