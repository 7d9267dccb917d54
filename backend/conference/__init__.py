"""Conference engine: Janus run by the backend, rooms per consultation or incident, moderation, layouts."""
