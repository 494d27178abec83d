"""Reliability and security: faults, bad input, crashes and concurrent runs lose nothing (issue 6)."""
