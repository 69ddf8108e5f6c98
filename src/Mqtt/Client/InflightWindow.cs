namespace PatientStream.Mqtt.Client;

/// <summary>
/// Counts QoS 1/2 publications on the wire. Only the writer loop takes slots (so messages leave in the order they
/// were queued); acknowledgements give them back. The limit can change per connection: the broker's receive
/// maximum (MQTT 5) may lower the configured window.
/// </summary>
internal sealed class InflightWindow
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>Completes at the next release or limit change; the caller then tries again.</summary>
    public Task WaitForSlotAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _used < _limit ? Task.CompletedTask : _released.Task.WaitAsync(cancellationToken);
        }
    }

    public void Release()
    {
        lock (_lock)
        {
            _used--;
            Signal();
        }
    }

    public void SetLimit(int limit)
    {
        lock (_lock)
        {
            _limit = limit;
            Signal();
        }
    }

    private void Signal()
    {
        var released = _released;
        _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        released.TrySetResult();
    }
}
