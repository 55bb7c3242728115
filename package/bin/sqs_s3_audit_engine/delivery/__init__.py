"""Stage 5: events -> the sink, in batches, with the checkpoint advanced after each.

- :mod:`.batches`     :class:`Delivery`: batching, the event sink, checkpoint advance
- :mod:`.checkpoint`  the local journal of finished objects and in-object positions
- :mod:`.leases`      the lease part of the checkpoint interface (one writer per object)
- :mod:`.shared_checkpoint`  the checkpoint on a DynamoDB table shared by the forwarders of a queue
- :mod:`.dynamodb_items`     its DynamoDB side: attribute names, number values, what an error answer means
"""
