using System.Threading.Channels;

namespace PatientStream.Mqtt.Client;

/// <summary>
/// The bounded outgoing queue. Unlike a bounded channel it releases blocked callers in batches: once full, callers
/// wait until it has drained to half, then all the waiting items move in at once, in the order their callers arrived.
/// That keeps call order (per-topic ordering) while avoiding one thread hand-off per message under load.
/// </summary>
internal sealed class PublishQueue<T>
{
    private readonly Lock _lock = new();
    private readonly Queue<T> _items = new();
    private readonly Queue<BlockedWriter> _blocked = new();
    private readonly int _capacity;
    private readonly int _resumeAt;
    private TaskCompletionSource<bool>? _readable;
    private bool _completed;

    public PublishQueue(int capacity)
    {
        _capacity = capacity;
        _resumeAt = capacity / 2;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public bool TryWrite(T item)
    {
        TaskCompletionSource<bool>? wake;
        lock (_lock)
        {
            ThrowIfCompleted();
            // Behind waiting callers, never ahead of them.
            if (_items.Count >= _capacity || _blocked.Count > 0)
            {
                return false;
            }
            _items.Enqueue(item);
            wake = TakeReadable();
        }
        wake?.TrySetResult(true);
        return true;
    }

    public ValueTask WriteAsync(T item, CancellationToken cancellationToken)
    {
        if (TryWrite(item))
        {
            return ValueTask.CompletedTask;
        }
        BlockedWriter writer;
        TaskCompletionSource<bool>? wake = null;
        lock (_lock)
        {
            ThrowIfCompleted();
            if (_items.Count < _capacity && _blocked.Count == 0)
            {
                _items.Enqueue(item);
                wake = TakeReadable();
                writer = null!;
            }
            else
            {
                writer = new BlockedWriter(item);
                _blocked.Enqueue(writer);
            }
        }
        if (writer is null)
        {
            wake?.TrySetResult(true);
            return ValueTask.CompletedTask;
        }
        return WaitAsync(writer, cancellationToken);
    }

    private static async ValueTask WaitAsync(BlockedWriter writer, CancellationToken cancellationToken)
    {
        // A writer cancelled here is skipped when the queue drains: whichever of the two completes the source wins.
        await using var registration = cancellationToken.Register(() => writer.Moved.TrySetCanceled(cancellationToken)).ConfigureAwait(false);
        await writer.Moved.Task.ConfigureAwait(false);
    }

    public bool TryRead(out T item)
    {
        lock (_lock)
        {
            if (!_items.TryDequeue(out item!))
            {
                return false;
            }
            if (_items.Count <= _resumeAt)
            {
                while (_items.Count < _capacity && _blocked.TryDequeue(out var writer))
                {
                    if (writer.Moved.TrySetResult())
                    {
                        _items.Enqueue(writer.Item);
                    }
                }
            }
            return true;
        }
    }

    /// <summary>True when an item is available, false once completed and empty.</summary>
    public Task<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_items.Count > 0)
            {
                return Task.FromResult(true);
            }
            if (_completed)
            {
                return Task.FromResult(false);
            }
            _readable ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _readable.Task.WaitAsync(cancellationToken);
        }
    }

    public void Complete(Exception error)
    {
        TaskCompletionSource<bool>? wake;
        lock (_lock)
        {
            _completed = true;
            while (_blocked.TryDequeue(out var writer))
            {
                writer.Moved.TrySetException(error);
            }
            wake = TakeReadable();
        }
        wake?.TrySetResult(false);
    }

    private TaskCompletionSource<bool>? TakeReadable()
    {
        var readable = _readable;
        _readable = null;
        return readable;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new ChannelClosedException("The MQTT client is closed.");
        }
    }

    private sealed class BlockedWriter(T item)
    {
        public T Item { get; } = item;
        public TaskCompletionSource Moved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
