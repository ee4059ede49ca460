"""Sans Couture: seamless local public services on French official open data."""
