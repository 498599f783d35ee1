"""Local HTTP servers for tests: the demo news site plus routes for the hard cases."""
