"""Features built on the platform: each owns its queries, its renderings and its effects."""
