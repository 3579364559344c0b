"""The features: each folder holds a feature's state loader, its appliers and its handlers;
its rules live in policies/features/. The composition root (bot/app.py) wires them."""
