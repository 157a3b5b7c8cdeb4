"""The generator split into stages: text helpers, stage functions, writers, the next day."""
