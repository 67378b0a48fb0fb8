class BenchError(Exception):
    """A failure that invalidates a mode's figures: Tradewind did not start, a run did not
    succeed, a request failed. The message is meant for the person running the bench."""
