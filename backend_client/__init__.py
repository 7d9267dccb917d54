"""Client side of the hub: wire codec and models (Qt-free), the asyncio HubClient, the Qt ClientStore."""
