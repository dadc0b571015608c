"""The pipeline runs itself: landing sensors, declarative automation conditions, an optional daily schedule."""
