"""The leaderboard over every evaluation report."""
