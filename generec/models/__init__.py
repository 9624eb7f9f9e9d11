"""Model backends (LLM, text embeddings, image features) and the cache of assembled model files."""
