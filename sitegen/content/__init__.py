"""Load content: discover source files, split front matter, validate into Reports. Never writes."""
