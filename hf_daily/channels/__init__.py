"""Delivery channels: each renders a day's issue in one format and publishes it under data/."""
