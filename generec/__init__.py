"""GeneRec: a generative recommender that retrieves, repurposes or creates micro-videos."""
__version__ = "0.1.0"
