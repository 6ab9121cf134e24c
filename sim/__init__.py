"""An agent-based model of the NATO allies negotiating their defence-spending target."""

__version__ = "0.1.0"
