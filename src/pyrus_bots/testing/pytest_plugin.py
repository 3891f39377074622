"""pytest plugin: fixtures for testing bots (see pyrus_bots.testing)."""
