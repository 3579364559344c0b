"""A group's rules: /policy for everyone; /quiet, /restdays and /mode for its admins."""
