"""Stage 5: events -> the sink, in batches, with the checkpoint advanced after each.

- :mod:`.batches`     :class:`Delivery`: batching, the event sink, checkpoint advance
- :mod:`.checkpoint`  the local journal of finished objects and in-object positions
"""
