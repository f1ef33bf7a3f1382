"""(being written: registers this research line's methods on import)."""
