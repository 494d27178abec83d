"""The daily steps over the warehouse, one module per step, each function for a list of days.

Plain functions (no Dagster): the assets in ``hf_daily.defs`` call them and report what they return.
Each step reads what it needs, does its slow work with no connection open, and then replaces its
days' rows in one transaction.
"""
