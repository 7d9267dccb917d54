"""The demo city: a simulated Yongkang (townships, cameras, sensors, units, alerts) that feeds the backend."""
