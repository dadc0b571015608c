"""The clickstream event contract shared by generators, importers and the loader."""
