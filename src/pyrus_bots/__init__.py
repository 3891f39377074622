"""Pyrus bots: an SDK to write them and a self-hostable platform that runs them."""

__version__ = "0.1.0"
