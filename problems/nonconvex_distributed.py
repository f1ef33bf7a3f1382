"""(being written: registers its methods/problems on import)."""
