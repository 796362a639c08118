"""The knowledge base: versioned, cited data files validated on load."""

from jakcheck.knowledge.loader import Knowledge, load_knowledge

__all__ = ["Knowledge", "load_knowledge"]
