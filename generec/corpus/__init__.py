"""The micro-video corpus: where its clips come from and how they become items."""
