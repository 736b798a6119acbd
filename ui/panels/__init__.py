"""Side panels composed into the main window: routing, bias and agreement, guidelines."""
