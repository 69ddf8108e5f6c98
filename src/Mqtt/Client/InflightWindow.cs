namespace PatientStream.Mqtt.Client;

/// <summary>
/// Counts QoS 1/2 publications on the wire. Only the writer loop takes slots (so messages leave in the order they
/// were queued); acknowledgements give them back. The limit can change per connection: the broker's receive
/// maximum (MQTT 5) may lower the configured window.
/// </summary>
internal sealed class InflightWindow
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _released;
    private int _used;
    private int _limit;

    public InflightWindow(int limit) => _limit = limit;

    public int Used => Volatile.Read(ref _used);

    public bool TryAcquire()
    {
        lock (_lock)
        {
            if (_used >= _limit)
            {
                return false;
            }
            _used++;
            return true;
        }
    }

    /// <summary>
    /// Completes once a slot is free. Waiting for more (to batch writes) would stall against a broker whose Nagle
    /// algorithm holds back acknowledgements until our delayed ACK: the writer resumes at the first free slot, and
    /// batches naturally because the reader releases a whole buffer of acknowledgements before the writer runs.
    /// </summary>
    public Task WaitForSlotAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_used <= ResumeLevel)
            {
                return Task.CompletedTask;
            }
            _released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _released.Task.WaitAsync(cancellationToken);
        }
    }

    private int ResumeLevel => _limit - 1;

    public void Release()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _used--;
            wake = TakeIfResumable();
        }
        wake?.TrySetResult();
    }

    public void SetLimit(int limit)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _limit = limit;
            wake = TakeIfResumable();
        }
        wake?.TrySetResult();
    }

    private TaskCompletionSource? TakeIfResumable()
    {
        if (_released is null || _used > ResumeLevel)
        {
            return null;
        }
        var released = _released;
        _released = null;
        return released;
    }
}
