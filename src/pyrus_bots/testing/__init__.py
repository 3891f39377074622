"""Test kit for bots written with the SDK."""
