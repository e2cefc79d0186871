"""The benchmark: kehu at a million customers (`make bench`, see docs/performance.md)."""
