namespace PatientStream.Mqtt.Client;

/// <summary>
/// A counting gate for QoS 1/2 publications whose limit can change while in use: the broker's receive maximum
/// (MQTT 5) may lower the configured window on each connection.
/// </summary>
internal sealed class InflightWindow
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private int _used;
    private int _limit;

    public InflightWindow(int limit) => _limit = limit;

    public int Used
    {
        get
        {
            lock (_lock)
            {
                return _used;
            }
        }
    }

    public ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_used < _limit && _waiters.Count == 0)
            {
                _used++;
                return ValueTask.CompletedTask;
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }
        return WaitAsync(waiter, cancellationToken);
    }

    private static async ValueTask WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        // A waiter cancelled here is skipped by Pump, which only hands slots to waiters it can still complete.
        await using var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken)).ConfigureAwait(false);
        await waiter.Task.ConfigureAwait(false);
    }

    public void Release()
    {
        lock (_lock)
        {
            _used--;
            Pump();
        }
    }

    public void SetLimit(int limit)
    {
        lock (_lock)
        {
            _limit = limit;
            Pump();
        }
    }

    private void Pump()
    {
        while (_used < _limit && _waiters.TryDequeue(out var next))
        {
            if (next.TrySetResult())
            {
                _used++;
            }
        }
    }
}
