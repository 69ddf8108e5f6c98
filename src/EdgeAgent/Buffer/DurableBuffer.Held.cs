namespace PatientStream.EdgeAgent.Buffer;

/// <summary>
/// The newest committed batches kept in memory as well, so the forwarder reads them without going back to SQLite.
/// Invariant: every batch on disk with an id above <see cref="_heldFloor"/> is in <see cref="_held"/> unless it was
/// deleted. Batches left by a previous run, and the oldest ones dropped when the memory budget
/// (<see cref="BufferOptions.MaxBytesInMemory"/>) is spent during a Kafka outage, lie at or below the floor and are
/// read from disk. Memory is a copy, never the record: durability and deletion stay with SQLite.
/// </summary>
public sealed partial class DurableBuffer
{
    private readonly Lock _heldLock = new();
    private readonly List<HeldBatch> _held = [];
    private int _heldHead;
    private long _heldBytes;
    private long _heldFloor;

    /// <summary>Batches just committed (ids rising), added after the commit so memory never runs ahead of the disk.</summary>
    private void Hold(List<BufferedBatch> committed)
    {
        lock (_heldLock)
        {
            foreach (var batch in committed)
            {
                _held.Add(new HeldBatch(batch.Id, batch));
                _heldBytes += batch.Value.Length;
            }
            while (_heldBytes > _options.MaxBytesInMemory && _heldHead < _held.Count)
            {
                var dropped = _held[_heldHead++];
                _heldFloor = dropped.Id;
                _heldBytes -= dropped.Batch?.Value.Length ?? 0;
            }
            Compact();
        }
    }

    /// <summary>Batches after <paramref name="afterId"/> from memory, or null when some of them may only be on disk.</summary>
    private List<BufferedBatch>? ReadHeld(long afterId, int max)
    {
        lock (_heldLock)
        {
            if (afterId < _heldFloor)
            {
                return null;
            }
            var result = new List<BufferedBatch>(Math.Min(max, _held.Count - _heldHead));
            for (var i = FirstAbove(afterId); i < _held.Count && result.Count < max; i++)
            {
                if (_held[i].Batch is { } batch)
                {
                    result.Add(batch);
                }
            }
            return result;
        }
    }

    private void Release(IReadOnlyCollection<BufferedBatch> delivered)
    {
        lock (_heldLock)
        {
            foreach (var batch in delivered)
            {
                var i = FirstAbove(batch.Id - 1);
                if (i < _held.Count && _held[i].Id == batch.Id && _held[i].Batch is { } held)
                {
                    _heldBytes -= held.Value.Length;
                    _held[i] = new HeldBatch(batch.Id, null);
                }
            }
            while (_heldHead < _held.Count && _held[_heldHead].Batch is null)
            {
                _heldHead++;
            }
            Compact();
        }
    }

    /// <summary>Index of the first held batch with an id above <paramref name="id"/> (ids rise along the list).</summary>
    private int FirstAbove(long id)
    {
        int low = _heldHead, high = _held.Count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (_held[middle].Id <= id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }

    private void Compact()
    {
        if (_heldHead > 1024 && _heldHead * 2 > _held.Count)
        {
            _held.RemoveRange(0, _heldHead);
            _heldHead = 0;
        }
    }

    /// <summary>A held batch; <see cref="Batch"/> is null once delivered (the slot keeps its id for the search).</summary>
    private readonly record struct HeldBatch(long Id, BufferedBatch? Batch);
}
