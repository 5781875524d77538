"""The performance benchmark (`make bench`, issue 9); see docs/performance.md."""
