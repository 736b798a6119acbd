"""The export engine: options, which items and labels are selected, the split, the registry of
targets, the walk over the store, the writer, the dataset card and the atomic export folder."""
