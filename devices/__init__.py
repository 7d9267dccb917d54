"""Device drivers: pure codecs (bytes <-> messages), transports (bytes only) and the drivers joining them; no Qt."""
