"""The home page: what waits for the signed-in person, by role."""
