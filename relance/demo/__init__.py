"""The demo's data: demo.yaml (imported) and its dunning history (history.py)."""
