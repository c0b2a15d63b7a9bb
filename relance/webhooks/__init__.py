"""Signed webhooks (Standard Webhooks): what relance tells its host application happened."""
